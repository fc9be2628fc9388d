"""Activities (notes, calls, meetings, emails) and tasks, on contacts,
companies and deals (SPEC §2).

Subjects, bodies and task titles are free text about people: encrypted.
An activity or task belongs to at most one contact, company and deal each;
at least one of them for an activity, none needed for a task (a to-do of
one's own).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.core.models import OwnedRecord
from terabox_crm.crypto.fields import EncryptedTextField

BODY_MAX_LENGTH = 20_000
TITLE_MAX_LENGTH = 200


class _Linked(OwnedRecord):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        "contacts.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class Activity(_Linked):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", pgettext_lazy("channel", "Email")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.NOTE)
    subject = EncryptedTextField(_("subject"), blank=True, default="")
    body = EncryptedTextField(_("details"), blank=True, default="")
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        indexes = [
            models.Index(fields=["workspace", "contact", "-occurred_at"], name="activity_contact"),
            models.Index(fields=["workspace", "company", "-occurred_at"], name="activity_company"),
            models.Index(fields=["workspace", "deal", "-occurred_at"], name="activity_deal"),
        ]

    def __str__(self) -> str:
        return f"activity {self.pk}"


class Task(_Linked):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", _("Done")

    title = EncryptedTextField(_("title"))
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    due_at = models.DateTimeField(_("due"))
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    # Someone's own tasks are always theirs to see and complete, whoever made them.
    assignee_reads = True

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        indexes = [
            models.Index(fields=["workspace", "assignee", "status", "due_at"], name="task_inbox"),
            models.Index(fields=["status", "reminded_at", "remind_at"], name="task_reminder_due"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk}"
