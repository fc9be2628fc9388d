"""The support app's part of an erasure (P8; docs/privacy-erasure.md).

Tickets the person requested keep their number, status, priority and SLA
times (the service-level figures stay right), but lose the link to the
person, their subject (replaced by a dash) and description, and every
message on them is deleted.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.erasure.registry import Eraser, Erasure, register
from terabox_crm.support.models import Ticket, TicketMessage

ERASED_SUBJECT = "—"


def blank_tickets(tickets, *, unlink: bool) -> None:
    """The person's words out of these tickets: subject a dash, description
    empty; ``unlink`` also drops the contact (an erasure). Row by row: each
    subject is sealed with its own row id (``crypto.fields``)."""
    fields = ["subject", "description"] + (["contact"] if unlink else [])
    for ticket in tickets:
        ticket.subject = ERASED_SUBJECT
        ticket.description = ""
        if unlink:
            ticket.contact_id = None
        ticket.save(update_fields=fields)


def _erase(erasure: Erasure) -> None:
    tickets = list(
        Ticket.objects.filter(workspace_id=erasure.workspace_id, contact_id=erasure.subject_id)
    )
    ids = [ticket.pk for ticket in tickets]
    messages = TicketMessage.objects.filter(workspace_id=erasure.workspace_id, ticket_id__in=ids)
    erasure.erased("support.message", messages.values_list("pk", flat=True))
    messages.delete()
    blank_tickets(tickets, unlink=True)
    erasure.anonymised("support.ticket", ids)


def _preview(workspace_id, subject_id) -> int:
    return Ticket.objects.filter(workspace_id=workspace_id, contact_id=subject_id).count()


register(
    Eraser(
        "support.ticket",
        _erase,
        description=_(
            "Tickets this person raised keep their numbers and times, lose their text and messages"
        ),
        preview=_preview,
        order=20,
    )
)
