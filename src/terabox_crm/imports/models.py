"""Imports of contacts and companies from CSV or XLSX (SPEC §2, P4, P8, §5).

An import goes: uploaded (the file sealed under the import's own key, its
header row read and mapped to fields) → checked by a dry run (optional: what
each row would do, nothing written) → applied by a job (each row through the
contacts services, atomic on its own; the outcome of every row kept as a
number and a reason code) → done, and the file destroyed with its key.

What may be personal on the row itself — the file's name, its header row
(a file without one starts with a person) and the import-level consent
reference of a third-party import (who consented) — is encrypted and
blanked by the retention engine after the audit period
(``imports.retention``). The rows' outcomes hold row numbers, codes, field
names and record ids, never a value from the file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from terabox_crm.crypto.fields import EncryptedTextField

# Rows per transaction when an import is applied (each row in a savepoint of
# its own inside it).
BATCH = 500


class Resource(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    COMPANIES = "companies", _("Companies")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class Source(models.TextChoices):
    """Where the people in the file came from (P4): it becomes each new
    contact's source."""

    DIRECT = "direct", _("Collected by us directly")
    IMPORT = "import", pgettext_lazy("import source", "Another system of ours")
    THIRD_PARTY = "third_party", _("From a third party")


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")


class Status(models.TextChoices):
    UPLOADED = "uploaded", pgettext_lazy("import status", "Waiting for the column mapping")
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Running")
    CHECKED = "checked", pgettext_lazy("import status", "Dry run done")
    DONE = "done", pgettext_lazy("import status", "Imported")
    FAILED = "failed", pgettext_lazy("import status", "Failed")
    EXPIRED = "expired", pgettext_lazy("import status", "Expired")


# The codec names storage.py records, as a person knows them.
ENCODING_LABELS = {"cp932": "Shift_JIS", "utf8": "UTF-8", "utf-8": "UTF-8", "utf-8-sig": "UTF-8"}

# States whose progress bar still moves (the page polls while in them).
ACTIVE = (Status.QUEUED, Status.RUNNING)
# States in which the mapping and options may still be set and a run asked.
CONFIGURABLE = (Status.UPLOADED, Status.CHECKED)


class Import(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    channel = models.CharField(max_length=8, default="web")  # "web" or "api"
    resource = models.CharField(_("records"), max_length=16, choices=Resource.choices)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    encoding = models.CharField(_("character encoding"), max_length=16, blank=True, default="")
    file_name = EncryptedTextField(_("file name"), blank=True, default="")
    # The header row as JSON (a list of strings).
    headers = EncryptedTextField(_("columns of the file"), blank=True, default="")
    # One field key per column of the file ("" = not imported).
    mapping = models.JSONField(_("column mapping"), default=list, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.IMPORT
    )
    # A third-party import's receipt fields given for the whole file, as JSON
    # (provider, how they obtained it, who consented, when, evidence).
    receipt = EncryptedTextField(_("consent reference"), blank=True, default="")
    on_duplicate = models.CharField(
        _("when the record exists"),
        max_length=8,
        choices=OnDuplicate.choices,
        default=OnDuplicate.SKIP,
    )
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, default="")
    key_id = models.CharField(max_length=64, blank=True, default="")
    # Rows in the file (an estimate for a CSV until it was read once).
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of its job: queued, claimed, each batch of rows.
    # A queued or running import silent for long lost its job
    # (``services.imports_resume_lost``).
    touched_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="import_recent"),
            models.Index(fields=["status", "created_at"], name="import_status"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_configurable(self) -> bool:
        return self.status in CONFIGURABLE

    @property
    def encoding_label(self) -> str:
        """The encoding as people call it: Excel's Japanese CSV is
        "Shift_JIS", not Python's codec name "cp932"."""
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    @property
    def percent(self) -> int:
        if self.status in (Status.CHECKED, Status.DONE):
            return 100
        if not self.total:
            return 0
        return min(99, self.progress * 100 // self.total)


class Outcome(models.TextChoices):
    CREATE = "create", pgettext_lazy("import row", "Create")
    UPDATE = "update", pgettext_lazy("import row", "Update")
    SKIP = "skip", pgettext_lazy("import row", "Skip")
    ERROR = "error", pgettext_lazy("import row", "Error")


class ImportRow(models.Model):
    """What one row of the file did (or, in a dry run, would do): its number,
    the outcome, a reason code and the field it concerns — never a value."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the line of the file, the header being 1
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    code = models.CharField(max_length=40, blank=True, default="")
    field = models.CharField(max_length=40, blank=True, default="")
    # The record created or updated (or the existing one a row duplicates).
    object_id = models.UUIDField(null=True, blank=True)
    # The row holds an erased person's email or phone (P8, the suppression list).
    suppressed = models.BooleanField(default=False)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["job", "number"]
        indexes = [models.Index(fields=["job", "number"], name="import_row_number")]

    def __str__(self) -> str:
        return f"row {self.number} of {self.job_id}"
