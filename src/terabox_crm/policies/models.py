"""Versioned policy documents (P10).

A policy is a sequence of versions per kind (privacy, security). A version is
a draft until it is published; once published it takes effect at
``effective_at`` and replaces the version before it. Versions are
installation-wide: the public pages (/privacy/, /security/, /notices/) speak
for the whole installation, and consent events and acceptances point at the
version that was in force.

The bodies are Markdown written by the operator, not personal data; the §1
data list, the contact block (P11) and the sub-processor register (S10) are
placeholders filled in when the page is rendered, so they never drift.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.crypto.fields import EncryptedTextField


class PolicyVersion(models.Model):
    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        SECURITY = "security", _("Security policy")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("policy"), max_length=16, choices=Kind.choices)
    number = models.PositiveIntegerField(pgettext_lazy("policy", "version"))
    effective_at = models.DateTimeField(_("takes effect"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    body_ja = models.TextField(_("text (Japanese)"))
    body_en = models.TextField(_("text (English)"))
    summary_ja = models.TextField(_("what changed (Japanese)"), blank=True, default="")
    summary_en = models.TextField(_("what changed (English)"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="policies_version_kind_number"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="policies_version_number_positive"
            ),
        ]
        indexes = [models.Index(fields=["kind", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.kind} policy v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(f"policies:{self.kind}_version", args=[self.number])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyAcceptance(models.Model):
    """A user accepted a version (P10): at their first sign-in after it took
    effect. The IP is the evidence of where; encrypted like every IP."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)
    ip = EncryptedTextField(_("IP address"), blank=True, default="")

    class Meta:
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="policies_acceptance_once")
        ]

    def __str__(self) -> str:
        return f"acceptance {self.id}"


class NoticeDispatch(models.Model):
    """The notice of one version to one audience (P10): sent once, in batches,
    resumable (``cursor`` is the last recipient key done, committed with its
    batch), and kept as the record the trust centre shows: who was told, how
    many, when."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="dispatches")
    audience = models.CharField(_("audience"), max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SENDING)
    cursor = models.CharField(max_length=64, blank=True, default="")
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy change notice")
        verbose_name_plural = _("policy change notices")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "audience"], name="policies_dispatch_once_per_audience"
            )
        ]

    def __str__(self) -> str:
        return f"notice {self.id}"


class NoticeRecipient(models.Model):
    """An address told of a version (P10), as a keyed hash: however many
    audiences (users, contacts) and workspaces hold the address, it gets one
    notice per version. Kept until the version takes effect (notices are
    only sent before), then pruned (``notices.prune_recipients``)."""

    id = models.BigAutoField(primary_key=True)
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="+")
    address_index = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "address_index"], name="policies_notice_once_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"notice recipient {self.pk}"
