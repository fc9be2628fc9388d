"""Retention targets of support (P5): closed tickets after the period.

A closed ticket is deleted with its messages once it was resolved more than
the period ago; tickets of contacts under legal hold stay.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.retention.registry import Action, Target, register
from terabox_crm.support.models import Status, Ticket


def _pending(*, workspace_id, cutoff, held):
    tickets = Ticket.objects.filter(
        workspace_id=workspace_id, status=Status.CLOSED, resolved_at__lt=cutoff
    )
    if held:
        tickets = tickets.exclude(contact_id__in=held)
    return tickets


def _delete(*, workspace_id, ids, action) -> int:
    tickets = Ticket.objects.filter(workspace_id=workspace_id, pk__in=ids)
    count = tickets.count()
    tickets.delete()  # messages go with them (CASCADE)
    return count


register(
    Target(
        code="support.closed_tickets",
        label=_("Closed tickets"),
        help_text=_("Closed tickets and their messages, counted from when they were resolved."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="crm_record",
        pending=_pending,
        apply=_delete,
        order=20,
    )
)
