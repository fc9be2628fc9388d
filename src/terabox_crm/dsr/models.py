"""Data-subject requests (P8, P9, P11).

A person asks on the public page (``Submission``): nothing is looked up at
that moment, so the answer is the same whether or not the address is known.
A one-time link proves they read the address; once verified, the request is
routed to every workspace whose subject finders know the address, and each
of those workspaces gets its own ``PrivacyRequest`` in its privacy officers'
queue, with a due date, an assignee, an append-only status history
(``StatusChange``), replies sent to the person (``Reply``) and, for access
requests, an encrypted download (``AccessExport``).

A submission belongs to no workspace yet (it is routed after verification),
like an outbox email: its personal fields are encrypted under the system
scope and compared through a full blind index, never in plaintext.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from terabox_crm.crypto import blind_index, normalise
from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.crypto.keyring import SYSTEM_SCOPE

DEFAULT_DUE_DAYS = 14  # APPI: a person may sue two weeks after asking
MAX_DUE_DAYS = 30  # GDPR: one month
DETAILS_MAX_LENGTH = 4000
POSTAL_ADDRESS_MAX_LENGTH = 500
# A recorded request needs somewhere to send the answers (the form and the
# service refuse it alike).
ANSWER_ADDRESS_REQUIRED = _(
    "Enter the email address the person wants the answers at or, if they "
    "gave none, their postal address."
)
# An access export's build: one attempt and three retries, 1, 2 and 4 minutes
# apart (tasks.build_access_export), then it is failed for the officer to retry.
EXPORT_ATTEMPTS = 4


def email_index_of(email: str) -> str:
    """The full blind index of a requester's address (system scope)."""
    return blind_index.full(
        normalise.email(email, check=False), scope=SYSTEM_SCOPE, domain="dsr.requester.email"
    )


def hash_token(token: str) -> str:
    """A link token's stored form: 256 random bits need no salt or slow hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Kind(models.TextChoices):
    ACCESS = "access", _("Access and disclosure (including records of provision to third parties)")
    CORRECTION = "correction", _("Correction")
    RESTRICTION = "restriction", _("Restriction of use")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    DELETION = "deletion", _("Deletion")


class Channel(models.TextChoices):
    """How a request reached the workspace: its own public page, or one of
    the ways the published contact block offers (P9, P11), recorded by a
    privacy officer who checked who the person is."""

    WEB = "web", pgettext_lazy("request channel", "The request page")
    EMAIL = "email", pgettext_lazy("request channel", "Email")
    PHONE = "phone", pgettext_lazy("request channel", "Phone")
    POST = "post", pgettext_lazy("request channel", "Post")
    IN_PERSON = "in_person", pgettext_lazy("request channel", "In person")


# The channels a privacy officer records a request from (not the web page,
# whose requests verify themselves through the one-time link).
RECORDED_CHANNELS = tuple(c for c in Channel if c != Channel.WEB)
# The request kinds that say nothing without their details: what to
# correct, which uses of the data.
KINDS_NEEDING_DETAILS = (Kind.CORRECTION, Kind.WITHDRAWAL)


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS)
# new → in progress → done / refused; closed requests stay closed.
TRANSITIONS = {
    Status.NEW: (Status.IN_PROGRESS, Status.DONE, Status.REFUSED),
    Status.IN_PROGRESS: (Status.DONE, Status.REFUSED),
    Status.DONE: (),
    Status.REFUSED: (),
}


class Submission(models.Model):
    """What a person typed on a public request page, before and after
    verifying their address. Only a hash of the link token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The workspace whose own request page it came from (P11); None: the
    # operator's page, routed to every workspace that holds the address.
    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    email = EncryptedTextField(_("email"))
    email_index = models.CharField(max_length=64, db_index=True)
    details = EncryptedTextField(_("details"), blank=True, default="")
    language = models.CharField(max_length=8, default="ja")
    token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    link_sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"submission {self.pk}"

    def encryption_scope(self) -> str:
        return SYSTEM_SCOPE


class WorkspacePolicy(models.Model):
    """A workspace's own settings for requests: its due date and its contact
    block on its own request page (P11)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.OneToOneField("core.Workspace", on_delete=models.CASCADE, related_name="+")
    due_days = models.PositiveSmallIntegerField(
        _("days to answer"),
        default=DEFAULT_DUE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DUE_DAYS)],
    )
    contact_block = models.TextField(_("contact information"), blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(workspace="workspace")

    def __str__(self) -> str:
        return f"request policy of {self.workspace_id}"


class PrivacyRequest(models.Model):
    """One verified request in one workspace's queue."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    # Where the answers go: the email address, or for a person who gave none
    # (a letter, a call) the postal address, and every answer is then sent
    # by post by an officer and recorded here (``by_post``).
    email = EncryptedTextField(_("email"), blank=True, default="")
    email_index = models.CharField(max_length=64, db_index=True)
    postal_address = EncryptedTextField(_("postal address"), blank=True, default="")
    details = EncryptedTextField(_("details"), blank=True, default="")
    language = models.CharField(_("language"), max_length=8, default="ja")
    # The people the request is about (contact ids): those the address was
    # found on at routing time, and those an officer recording it named.
    subject_ids = models.JSONField(default=list, blank=True)
    channel = models.CharField(
        _("received by"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    # A request recorded by an officer (not from the page): who recorded it
    # and how they checked the person is who they say, in their words.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    identity_check = EncryptedTextField(_("how identity was checked"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True, default="")
    # The last reminder threshold sent (services.REMINDERS: 1 = 3 days before,
    # 2 = 1 day before, 3 = overdue): each is sent once.
    reminded_level = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("privacy request")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "number"], name="privacy_request_number_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "status", "due_at"], name="dsr_queue")]

    def __str__(self) -> str:
        return f"privacy request #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def by_post(self) -> bool:
        """No email address: every answer goes by post."""
        return not self.email


class StatusChange(models.Model):
    """The status history: appended, never changed or deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = EncryptedTextField(_("note"), blank=True, default="")
    # What a fulfilment step did (dsr/fulfilment.py: erased, restricted,
    # corrected, consent withdrawn), kept as a code, the person's id and the
    # purposes' codes, and worded when the history is read, in the reader's
    # language (``fulfilment.history_text``). ``note`` keeps only what a
    # person wrote: an officer's note, what a correction changed.
    outcome = models.CharField(max_length=16, blank=True, default="")
    outcome_subject = models.UUIDField(null=True, blank=True)
    outcome_purposes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("the status history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the status history is append-only")

    def get_to_status_display_text(self) -> str:
        return str(Status(self.to_status).label)


class Reply(models.Model):
    """A message sent to the person by email, or by post by an officer who
    records it here (``by_post``); the text is kept, encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = EncryptedTextField(_("message"))
    outbox_id = models.UUIDField(null=True, blank=True)
    by_post = models.BooleanField(_("sent by post"), default=False)
    sent_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk}"


class AccessExport(models.Model):
    """The file answering an access request: a zip (JSON + CSV) encrypted
    under a key of its own, which expiry destroys together with the file."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Sent to the person")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        """Why the last attempt to build the file failed, in words the
        officer can act on (the server log has the traceback)."""

        DISK_FULL = (
            "disk_full",
            _(
                "The server ran out of disk space while writing the file. Ask the operator to "
                "free space, then try again."
            ),
        )
        STORAGE = (
            "storage",
            _(
                "The file could not be written. Ask the operator to check the data directory, "
                "then try again."
            ),
        )
        DATA = (
            "data",
            _(
                "Reading the person's data failed. Try again; if it fails again, tell the "
                "operator (the server log names the cause)."
            ),
        )
        INTERRUPTED = (
            "interrupted",
            _(
                "Preparing the file was interrupted each time (the job worker stopped). Try "
                "again; if it happens again, tell the operator."
            ),
        )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    # Attempts to build the file so far; the job queue retries a failed build
    # with back-off (``EXPORT_ATTEMPTS``), then the export is failed.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a job starts building the file (its claim), cleared by a
    # failed attempt: a pending export claimed long ago lost its job.
    building_since = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=16, choices=Failure.choices, blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    key_id = models.CharField(max_length=32, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    # The staff copy (the API's download, P9): handed out once, like a
    # workspace export; a second try is refused (410) and a security event.
    fetched_at = models.DateTimeField(null=True, blank=True)
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "expires_at"], name="dsr_export_expiry")]

    def __str__(self) -> str:
        return f"access export {self.pk}"
