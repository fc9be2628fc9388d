"""Guarded exports (S4, S5, P3, P4): one row per export a member asked for.

An export names what it reads (a resource, the list's filters, the columns),
why (a purpose of the privacy engine, whose gate removes the people it may
not use) and for whom (the requester; a third-party recipient when the file
is handed on, which writes a provision record). The file itself is never on
disk in plaintext: it is sealed chunk by chunk under the export's own key
(``dsr.export.SealedWriter``, domain ``export``) and deleted, with its key,
when it is downloaded once or when its link expires. The row stays as
evidence (row count, columns, purpose, SHA-256 of the file, who approved it);
what may be personal on it (the filters, which can hold a searched name, and
the recipient) is encrypted and blanked by the retention engine after the
audit period (``exports.retention``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from terabox_crm.crypto.fields import EncryptedTextField

DEFAULT_APPROVAL_THRESHOLD = 10_000
LINK_VALID_FOR = timedelta(hours=24)
# One attempt and two retries, 1 and 2 minutes apart (tasks.build_export).
BUILD_ATTEMPTS = 3


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    JSON = "json", "JSON"


class Status(models.TextChoices):
    # Asked; the job counts the rows through the purpose gate, then decides
    # the approval rule (S4) or builds.
    COUNTING = "counting", pgettext_lazy("export status", "Counting the rows")
    AWAITING_APPROVAL = "awaiting", _("Waiting for approval")
    QUEUED = "queued", pgettext_lazy("export status", "Queued")
    RUNNING = "running", pgettext_lazy("export status", "Being prepared")
    READY = "ready", pgettext_lazy("export status", "Ready to download")
    DOWNLOADED = "downloaded", pgettext_lazy("export status", "Downloaded")
    EXPIRED = "expired", pgettext_lazy("export status", "Expired")
    FAILED = "failed", pgettext_lazy("export status", "Failed")


# Why an export failed, by ``Export.failure`` code, as the requester reads it
# (``Export.failure_text``; "too_many_rows" names the count).
FAILURES = {
    "count_failed": _("The rows could not be counted. Export again."),
    "build_failed": _("The export could not be prepared. Export again."),
    "requester_gone": _("The member who asked for this export is no longer in the workspace."),
    "forbidden": _("The member who asked for this export may no longer export these records."),
}

# States whose progress bar still moves (the page polls while in them).
ACTIVE = (Status.COUNTING, Status.QUEUED, Status.RUNNING)


class ExportSettings(models.Model):
    """A workspace's export rules: above ``approval_threshold`` rows a second
    admin approves the export before it is built (S4)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.OneToOneField("core.Workspace", on_delete=models.CASCADE, related_name="+")
    approval_threshold = models.PositiveIntegerField(
        _("rows that need a second admin's approval"),
        default=DEFAULT_APPROVAL_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(100_000_000)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(workspace="workspace")

    def __str__(self) -> str:
        return f"export settings of {self.workspace_id}"


class Export(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # "web" or "api": where it was asked (the API has no step-up, its token
    # carries the ``export`` scope instead).
    channel = models.CharField(max_length=8, default="web")
    resource = models.CharField(_("records"), max_length=16)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The list's query string (``stage=customer&q=…``): a search text may be a name.
    filters = EncryptedTextField(_("filters"), blank=True, default="")
    fields = models.JSONField(_("columns"), default=list)
    purpose = models.ForeignKey(
        "privacy.Purpose", on_delete=models.PROTECT, related_name="+", verbose_name=_("purpose")
    )
    recipient = EncryptedTextField(_("third-party recipient"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.COUNTING
    )
    # Before: what the list matched and what the purpose gate would leave out
    # when the job counted it ({reason code: count}); after: what the file holds.
    matched = models.PositiveIntegerField(default=0)
    excluded_before = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    excluded = models.JSONField(default=dict, blank=True)
    # Rows read so far: by the count while "counting", by the build after.
    progress = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    key_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    # When its job last gave a sign of life (queued, claimed, a batch
    # counted or written): an active export silent for long lost its job
    # (a worker killed mid-build) and is resumed (services.exports_resume_lost).
    touched_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=32, blank=True, default="")
    approval_required = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="export_recent"),
            models.Index(fields=["status", "expires_at"], name="export_expiry"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_counting(self) -> bool:
        return self.status == Status.COUNTING

    @property
    def percent(self) -> int:
        if self.status == Status.COUNTING:
            return 0
        if self.status in (Status.READY, Status.DOWNLOADED, Status.EXPIRED):
            return 100
        if not self.matched:
            return 0
        return min(99, self.progress * 100 // self.matched)

    @property
    def failure_text(self) -> str:
        """Why it failed, in the active language ("" unless it failed)."""
        if self.status != Status.FAILED:
            return ""
        if self.failure == "too_many_rows":
            return gettext(
                "A spreadsheet holds at most 1,048,575 rows; this export has %(rows)s. "
                "Choose CSV or JSON, or narrow the list."
            ) % {"rows": f"{self.matched - self.excluded_before_total:,}"}
        return str(FAILURES.get(self.failure, FAILURES["build_failed"]))

    @property
    def excluded_total(self) -> int:
        return sum((self.excluded or {}).values())

    @property
    def excluded_before_total(self) -> int:
        return sum((self.excluded_before or {}).values())
