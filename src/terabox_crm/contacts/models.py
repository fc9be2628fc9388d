"""Companies and contacts (SPEC §2), their emails, phones and tags, and each
user's saved list views.

Every personal value is an ``EncryptedTextField``: the column holds only
AES-GCM ciphertext bound to the workspace, table, column and row. Exact and
whole-token search goes through blind-index terms (``crypto.search_index``)
that the services keep in step with the values, in the same transaction.

Display names (decision, documented here and in the templates): a name
written in Japanese (or other CJK) script reads family name first in every
language — ``山田 花子`` on an English screen too, as it is written; a name
in Latin letters reads given name first (``Hanako Yamada``, ``Sofia
Garcia``) in every language, as Japanese business documents write it. Kana
readings always read family first.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from terabox_crm.core.models import OwnedRecord
from terabox_crm.crypto.fields import EncryptedTextField

NOTES_MAX_LENGTH = 20_000


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    CHURNED = "churned", _("Churned")


class Source(models.TextChoices):
    DIRECT = "direct", _("Entered directly")
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Imported")
    THIRD_PARTY = "third_party", _("From a third party")


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Company(OwnedRecord):
    # A sole proprietor's trade name is a person's name: encrypted, token-indexed.
    name = EncryptedTextField(_("name"))
    name_kana = EncryptedTextField(_("name reading (kana)"), blank=True, default="")
    website = models.CharField(_("website"), max_length=200, blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    postal_code = EncryptedTextField(_("postal code"), blank=True, default="")
    region = EncryptedTextField(_("prefecture or region"), blank=True, default="")
    city = EncryptedTextField(_("city"), blank=True, default="")
    street = EncryptedTextField(_("street address"), blank=True, default="")
    industry = models.CharField(_("industry"), max_length=80, blank=True, default="")
    # Unlike other records, a company or contact outlives its owner's account.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies", verbose_name=_("tags"))
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    # ``created_at``/``updated_at`` (``OwnedRecord``) have no index of their
    # own: the (workspace, time, id) indexes below serve every list. A lone
    # time index once tempted PostgreSQL to walk every workspace's newer rows
    # to reach an older workspace's first page.

    # The one answer to a link to a company that is not there for the actor
    # (none, another workspace's, unreadable): ``core.records.readable``.
    link_refused_message = _("Choose a company of this workspace.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="company_recent"),
            models.Index(fields=["workspace", "-updated_at", "-id"], name="company_updated"),
        ]

    def __str__(self) -> str:
        return self.name or ""


def _has_cjk(text: str) -> bool:
    """True when ``text`` has kanji or kana (the name is written the Japanese way)."""
    return any(
        "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
        for char in text
    )


class Contact(OwnedRecord):
    family_name = EncryptedTextField(_("family name"), blank=True, default="")
    given_name = EncryptedTextField(_("given name"), blank=True, default="")
    family_name_kana = EncryptedTextField(_("family name reading (kana)"), blank=True, default="")
    given_name_kana = EncryptedTextField(_("given name reading (kana)"), blank=True, default="")
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("company"),
    )
    job_title = EncryptedTextField(_("job title"), blank=True, default="")
    stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=Stage.choices, default=Stage.LEAD
    )
    # Unlike other records, a company or contact outlives its owner's account.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.DIRECT
    )
    # Free text ("referred by …") may name a person: encrypted.
    source_detail = EncryptedTextField(_("source detail"), blank=True, default="")
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    # When a retention rule anonymised the contact (P5, ``retention.anonymise``).
    # The walk for inactive leads leaves it alone from then on unless it was
    # changed since (``updated_at`` later): an anonymised lead is not read
    # again on every run.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # ``created_at``/``updated_at`` (``OwnedRecord``) have no index of their
    # own: the (workspace, time, id) indexes below serve every list. A lone
    # time index once tempted PostgreSQL to walk every workspace's newer rows
    # to reach an older workspace's first page.

    link_refused_message = _("Choose a contact of this workspace.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        # Keyset pages: one index per sort order the lists offer.
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="contact_recent"),
            models.Index(fields=["workspace", "-updated_at", "-id"], name="contact_updated"),
            # A guarded export's keyset batches (S4, exports.resources.read):
            # the fast plan without planner statistics, whatever share of
            # the table the workspace holds (docs/performance.md). Stage,
            # updated_at and anonymised_at ride along for the retention walk
            # (P5), which reads a workspace's contacts by id and keeps the old
            # leads not yet anonymised: both databases test them in the index
            # and read the row of a due contact only, instead of every
            # contact's (docs/performance.md, "The walk through the index").
            models.Index(
                fields=["workspace", "id", "stage", "updated_at", "anonymised_at"],
                name="contact_workspace_id",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def display_name_for(self, language: str | None = None) -> str:
        """``山田 花子`` for a name in Japanese script, ``Hanako Yamada`` for
        one in Latin letters, whatever the reader's language (``language`` is
        kept for callers that render for someone else)."""
        parts = [self.family_name, self.given_name]
        if not _has_cjk(f"{self.family_name}{self.given_name}"):
            parts.reverse()
        return " ".join(part for part in parts if part)

    @property
    def display_name(self) -> str:
        return self.display_name_for(get_language())

    @property
    def kana(self) -> str:
        return " ".join(part for part in (self.family_name_kana, self.given_name_kana) if part)

    @property
    def primary_email(self) -> str:
        emails = list(self.emails.all())
        chosen = next((e for e in emails if e.is_primary), emails[0] if emails else None)
        return chosen.value if chosen else ""

    @property
    def primary_phone(self) -> str:
        phones = list(self.phones.all())
        chosen = next((p for p in phones if p.is_primary), phones[0] if phones else None)
        return chosen.value if chosen else ""


class ContactEmail(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    value = EncryptedTextField(_("email"))
    label = models.CharField(_("label"), max_length=30, blank=True, default="")
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-is_primary", "id"]
        # Scoped lookups ask "this workspace, these contacts": one index for
        # both, so no planner walks the whole workspace's rows instead.
        indexes = [models.Index(fields=["workspace", "contact"], name="contactemail_of_contact")]

    def __str__(self) -> str:
        return f"email {self.id}"


class ContactPhone(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    value = EncryptedTextField(_("phone"))  # E.164
    label = models.CharField(_("label"), max_length=30, blank=True, default="")
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-is_primary", "id"]
        # Scoped lookups ask "this workspace, these contacts": one index for
        # both, so no planner walks the whole workspace's rows instead.
        indexes = [models.Index(fields=["workspace", "contact"], name="contactphone_of_contact")]

    def __str__(self) -> str:
        return f"phone {self.id}"


class SavedView(models.Model):
    """A user's named list filter: ids and codes only, never personal values."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
