"""The incident register (S13): what happened, who is affected, who was told,
and the regulatory clocks.

An incident belongs to one workspace (django-scopes). Its free text (title,
what happened, cause, systems, actions, measures, timeline notes) may name
people: encrypted like every other app's free text. The public announcement
(``notice_*``) is written for ``/notices/`` and must hold no personal data;
it is shown to anyone once published.

Who is affected is a reviewable list of ids (``AffectedItem``): computed from
the audit trail, then included or excluded by staff before anyone is told.
Each email and in-app notice of the campaign is a ``Delivery`` row whose state
follows the outbox (``communications``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.incidents import timeline

TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000
NOTICE_MAX_LENGTH = 5_000


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Investigating")
    CONTAINED = "contained", _("Contained")
    CLOSED = "closed", _("Closed")


class Source(models.TextChoices):
    ACCOUNT = "account", _("A user account")
    TOKEN = "token", _("An API token")
    OTHER = "other", _("Something else")


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("number"))
    title = EncryptedTextField(_("title"))
    description = EncryptedTextField(_("what happened"), blank=True, default="")
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.HIGH
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    # The compromised account or token and the time window it was misused in:
    # what "who is affected" reads the audit trail for.
    source = models.CharField(
        _("compromised"), max_length=10, choices=Source.choices, default=Source.ACCOUNT
    )
    source_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compromised account"),
    )
    window_start = models.DateTimeField(_("from"), null=True, blank=True)
    window_end = models.DateTimeField(_("until"), null=True, blank=True)
    data_categories = models.JSONField(_("categories of data"), default=list, blank=True)
    systems_affected = EncryptedTextField(_("systems affected"), blank=True, default="")
    actions_taken = EncryptedTextField(_("actions taken"), blank=True, default="")
    cause = EncryptedTextField(_("cause"), blank=True, default="")
    secondary_risk = EncryptedTextField(_("risk of secondary damage"), blank=True, default="")
    measures = EncryptedTextField(_("measures to prevent recurrence"), blank=True, default="")
    malicious = models.BooleanField(
        _("caused with malicious intent (unauthorised access, theft)"), default=False
    )
    appi_applies = models.BooleanField(_("report to the PPC (APPI)"), default=True)
    gdpr_applies = models.BooleanField(
        _("report to the supervisory authority (GDPR)"), default=True
    )
    preliminary_days = models.PositiveSmallIntegerField(
        _("days for the preliminary report"), default=3
    )
    preliminary_reported_at = models.DateTimeField(null=True, blank=True)
    final_reported_at = models.DateTimeField(null=True, blank=True)
    gdpr_reported_at = models.DateTimeField(null=True, blank=True)
    # {clock: [stages reminded]}: one email per clock and stage, never a storm.
    reminders = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    affected_computed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notice_title_ja = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    notice_title_en = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    notice_body_ja = models.TextField(blank=True, default="")
    notice_body_en = models.TextField(blank=True, default="")
    notice_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-detected_at", "-number"]
        verbose_name = _("incident")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="incident_number_unique")
        ]
        indexes = [models.Index(fields=["status", "detected_at"], name="incident_open")]

    def __str__(self) -> str:
        return f"incident #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def final_days(self) -> int:
        return 60 if self.malicious else 30

    def due(self, clock: str):
        if clock == "appi_preliminary":
            return self.detected_at + timedelta(days=self.preliminary_days)
        if clock == "appi_final":
            return self.detected_at + timedelta(days=self.final_days())
        if clock == "gdpr":
            return self.detected_at + timedelta(hours=72)
        raise ValueError(clock)


class TimelineEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("when"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = EncryptedTextField(_("entry"))
    # Empty: a person's entry, ``text`` as written. Else an entry the system
    # wrote, ``text`` its values (``incidents.timeline``).
    kind = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["at", "created_at"]
        verbose_name = _("timeline entry")

    def __str__(self) -> str:
        return f"timeline entry {self.pk}"

    def shown(self) -> str:
        """The entry as read, in the active language."""
        return timeline.sentence(self.kind, self.text) if self.kind else self.text


class AffectedKind(models.TextChoices):
    PERSON = "person", _("Person (contact)")
    USER = "user", _("User")
    RECORD = "record", _("Record")


class Decision(models.TextChoices):
    PENDING = "pending", _("To review")
    INCLUDED = "included", _("Included")
    EXCLUDED = "excluded", _("Excluded")


class AffectedItem(models.Model):
    """One person, user or record the compromised account read, exported or changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    kind = models.CharField(max_length=8, choices=AffectedKind.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    events = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["kind", "-events", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "object_type", "object_id"], name="incident_affected_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}"


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("channel", "Email")
    IN_APP = "in_app", _("In-app notice")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Not sent")


class Delivery(models.Model):
    """One message of the campaign to one recipient; ``state`` follows the outbox."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deliveries")
    item = models.ForeignKey(AffectedItem, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8, blank=True, default="")
    outbox_id = models.UUIDField(null=True, blank=True)
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    reason = models.CharField(max_length=32, blank=True, default="")  # the gate's code
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "item", "channel"], name="incident_delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.pk}"
