"""Support tickets with an SLA clock (SPEC §2; the "support" purpose).

Each ticket has two deadlines set from its priority when it is opened: the
first response and the resolution. Time spent waiting on the customer
("pending") does not count: leaving "pending" pushes the resolution deadline
back by the time spent there. Subjects, descriptions and messages are free
text about people: encrypted.
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

from terabox_crm.core.models import OwnedRecord
from terabox_crm.crypto.fields import EncryptedTextField

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# (first response, resolution) per priority, in calendar hours.
SLA_HOURS = {
    Priority.URGENT: (1, 4),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 72),
    Priority.LOW: (24, 120),
}
DUE_SOON_SHARE = 0.25  # "due soon" when less than a quarter of the time is left


class Ticket(OwnedRecord):
    number = models.PositiveIntegerField(_("number"))
    subject = EncryptedTextField(_("subject"))
    description = EncryptedTextField(pgettext_lazy("ticket", "description"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    # Without the verbose name the other records give it (the schema stays as it was).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The workspace's tags, shared with contacts, companies and deals
    # (docs/ui.md "Tags are chips"); no personal data, removed with the ticket.
    tags = models.ManyToManyField(
        "contacts.Tag", blank=True, related_name="tickets", verbose_name=_("tags")
    )
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set by the service (the SLA clock starts at the same instant), not on save.
    created_at = models.DateTimeField(default=timezone.now)

    # The assignee reads and works on the ticket, whatever their team.
    assignee_reads = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="ticket_number_unique")
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "resolution_due_at"], name="ticket_queue"),
            # A retention batch's tickets by contact, led by the workspace as
            # every statement of a batch is (docs/performance.md, Retention).
            models.Index(fields=["workspace", "contact"], name="ticket_contact"),
        ]

    def __str__(self) -> str:
        return f"ticket #{self.number}"

    @staticmethod
    def deadlines(priority: str, start) -> tuple:
        response, resolution = SLA_HOURS[priority]
        return start + timedelta(hours=response), start + timedelta(hours=resolution)


class TicketMessage(models.Model):
    """A reply to the customer, or an internal note (never sent)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk}"
