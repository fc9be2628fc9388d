"""Support tickets in a person's access export (P9): the tickets and the
replies sent to the customer (internal notes are staff's own working notes,
listed as well: they are data about the person)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.dsr.registry import records_section, register_collector
from terabox_crm.support.models import Ticket, TicketMessage


def tickets(workspace_id, subject_ids):
    yield records_section(
        "tickets",
        _("Support tickets"),
        Ticket.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids).order_by(
            "created_at", "id"
        ),
        ["number", "subject", "description", "status", "priority", "created_at", "resolved_at"],
    )
    yield records_section(
        "ticket_messages",
        _("Ticket messages"),
        TicketMessage.objects.filter(
            workspace_id=workspace_id, ticket__contact_id__in=subject_ids
        ).order_by("created_at", "id"),
        ["body", "internal", "created_at"],
    )


register_collector("support", tickets, order=50)
