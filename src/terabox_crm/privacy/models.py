"""The privacy engine's tables (P2, P4, P7).

Persons ("data subjects") are identified by ``(workspace, subject_id)``: the
UUID of the contact, never a foreign key into a domain app. The engine knows
no domain model, and the id of an erased person stays a pseudonymous id.

* ``Purpose``: the purposes personal data is used for (P2), per workspace,
  each with its lawful basis; the basis decides whether consent is needed.
* ``ConsentEvent``: the append-only consent ledger (P7); the current state is
  derived from it (``selectors.consent_states``).
* ``ConsentEvidenceFile``: a file backing a consent event, encrypted at rest.
* ``Restriction``: restriction of use (利用停止, P7); one active row at most
  per person, lifted rows kept as history.
* ``ThirdPartyReceipt`` / ``ProvisionRecord``: the APPI 確認・記録 records of
  receiving personal data from, and providing it to, a third party (P4).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from terabox_crm.crypto.fields import EncryptedTextField

# APPI art. 30.3 / 29.2 and the enforcement rules: provision and receipt
# records are kept 3 years (P4).
RECORD_KEEP_DAYS = 3 * 365 + 1


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")


class AppendOnly(models.Model):
    """Rows written once: an update or a delete through the ORM is a mistake
    (erasure, which removes a person's rows, uses queryset deletes)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only")


class Purpose(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_ja = models.TextField(_("description (Japanese)"), blank=True, default="")
    description_en = models.TextField(_("description (English)"), blank=True, default="")
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    builtin = models.BooleanField(_("built in"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-builtin", "created_at", "code"]
        verbose_name = _("purpose")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="privacy_purpose_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ja if (get_language() or "").startswith("ja") else self.name_en

    @property
    def description(self) -> str:
        ja = (get_language() or "").startswith("ja")
        return self.description_ja if ja else self.description_en

    @property
    def needs_consent(self) -> bool:
        return self.lawful_basis == LawfulBasis.CONSENT

    @property
    def overrides_restriction(self) -> bool:
        """Only a legal obligation may use a restricted person's data (P7)."""
        return self.lawful_basis == LawfulBasis.LEGAL_OBLIGATION


class ConsentKind(models.TextChoices):
    GRANT = "grant", _("Granted")
    WITHDRAW = "withdraw", _("Withdrawn")


class ConsentChannel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", pgettext_lazy("channel", "Email")
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    IN_PERSON = "in_person", _("In person")
    POST = "post", pgettext_lazy("channel", "Post")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class ConsentEvent(AppendOnly):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    subject_id = models.UUIDField()
    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, related_name="+", verbose_name=_("purpose")
    )
    kind = models.CharField(_("event"), max_length=8, choices=ConsentKind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=ConsentChannel.choices)
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # What the person said or signed, where: may quote them, so encrypted.
    evidence = EncryptedTextField(_("evidence"), blank=True, default="")
    # The privacy policy in force when the person consented or withdrew (P7,
    # P10): what they agreed to. None before any version took effect.
    policy_version = models.ForeignKey(
        "policies.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("privacy policy version"),
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-occurred_at", "-recorded_at"]
        verbose_name = _("consent event")
        indexes = [
            models.Index(
                fields=["workspace", "purpose", "subject_id", "occurred_at"],
                name="privacy_consent_state",
            ),
            models.Index(fields=["workspace", "subject_id"], name="privacy_consent_subject"),
        ]

    def __str__(self) -> str:
        return f"consent {self.kind} {self.pk}"


EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
    "message/rfc822": ".eml",
}


class ConsentEvidenceFile(AppendOnly):
    """A file backing a consent event (a signed form, an email), stored as
    encrypted bytes in the row (base64 inside the encrypted text field):
    nothing of it reaches the file system in clear (S3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    event = models.OneToOneField(ConsentEvent, on_delete=models.CASCADE, related_name="file")
    name = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    content = EncryptedTextField(_("file"))

    objects = ScopedManager(workspace="workspace")

    def __str__(self) -> str:
        return f"evidence {self.pk}"


class Restriction(models.Model):
    """Restriction of use (利用停止, P7): while ``lifted_at`` is empty the person
    is kept and found, but used for nothing but legal obligations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    subject_id = models.UUIDField()
    reason = EncryptedTextField(_("reason"))
    requested_by = EncryptedTextField(_("asked by"))
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lift_reason = EncryptedTextField(_("reason for lifting"), blank=True, default="")

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-set_at"]
        verbose_name = _("restriction of use")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "subject_id"],
                condition=Q(lifted_at__isnull=True),
                name="privacy_one_active_restriction",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "subject_id"], name="privacy_restriction_subject")
        ]

    def __str__(self) -> str:
        return f"restriction {self.pk}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


def _keep_until():
    return timezone.now() + timedelta(days=RECORD_KEEP_DAYS)


class ThirdPartyReceipt(AppendOnly):
    """Personal data received from a third party (P4, APPI 確認・記録): who
    provided it, when, which categories, how they obtained it, and the
    person's consent to the sharing (who, when, evidence)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    subject_id = models.UUIDField()
    provider = EncryptedTextField(_("provider"))
    received_on = models.DateField(_("received on"))
    categories = models.JSONField(_("categories"), default=list)
    obtained_how = EncryptedTextField(_("how the provider obtained it"))
    consent_by = EncryptedTextField(_("consent given by"))
    consent_at = models.DateField(_("consent given on"))
    consent_evidence = EncryptedTextField(_("consent evidence"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    keep_until = models.DateTimeField(default=_keep_until)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("third-party receipt record")
        indexes = [
            models.Index(fields=["workspace", "subject_id"], name="privacy_receipt_subject"),
            models.Index(fields=["workspace", "created_at"], name="privacy_receipt_list"),
        ]

    def __str__(self) -> str:
        return f"receipt {self.pk}"


class ProvisionChannel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EXPORT = "export", _("Export")


class ProvisionRecord(AppendOnly):
    """Personal data provided to a third party (P4, APPI 確認・記録): the
    recipient, when, the people (as ids, in ``ProvisionSubject``) and the
    categories."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    recipient = EncryptedTextField(_("recipient"))
    provided_at = models.DateTimeField(_("provided at"), default=timezone.now)
    categories = models.JSONField(_("categories"), default=list)
    channel = models.CharField(_("channel"), max_length=10, choices=ProvisionChannel.choices)
    # The id of what provided it (the webhook endpoint, the export): no text.
    reference = models.CharField(max_length=64, blank=True, default="")
    # The code of the purpose the data was provided for (the record of
    # processing lists each recipient under it); "" when not said.
    purpose = models.CharField(_("purpose"), max_length=40, blank=True, default="")
    subject_count = models.PositiveIntegerField(default=0)
    keep_until = models.DateTimeField(default=_keep_until)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-provided_at"]
        verbose_name = _("provision record")
        indexes = [
            models.Index(fields=["workspace", "provided_at"], name="privacy_provision_list"),
        ]

    def __str__(self) -> str:
        return f"provision {self.pk}"


class ProvisionSubject(models.Model):
    """One person of a provision record (set-based lookups per person)."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(ProvisionRecord, on_delete=models.CASCADE, related_name="subjects")
    subject_id = models.UUIDField()

    objects = ScopedManager(workspace="workspace")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "subject_id"], name="privacy_provision_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.subject_id}"
