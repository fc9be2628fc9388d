"""Retention targets of support (P5): closed tickets after the period.

A closed ticket is deleted with its messages once it was resolved more than
the period ago; tickets of contacts under legal hold stay.

Two registrations for the rules about contacts (``retention.registry``):

* a ticket changed within the period is activity: a lead who wrote to
  support last week is not a lead "with no activity";
* when a rule anonymises a contact, the tickets they raised keep their
  number, status, priority, SLA times and link to the (now nameless)
  contact, and lose their subject (a dash), description and messages — the
  person's words, as the erasure takes them (``support/erasure.py``).
"""

from __future__ import annotations

from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _

from terabox_crm.retention.registry import (
    Action,
    Target,
    among,
    register,
    register_activity_source,
    register_person_part,
)
from terabox_crm.support.erasure import blank_tickets
from terabox_crm.support.models import Status, Ticket, TicketMessage


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


def _recent_tickets(cutoff):
    return Ticket.objects.filter(contact_id=OuterRef("pk"), updated_at__gte=cutoff)


def _remove_ticket_words(*, workspace_id, contact_ids) -> None:
    """One query when the batch's people raised no ticket (most leads); a
    save per ticket otherwise (``erasure.blank_tickets``), keeping the link."""
    tickets = list(  # unordered, so the plan is the ``ticket_contact`` search per id
        Ticket.objects.filter(
            among("contact_id", contact_ids), workspace_id=workspace_id
        ).order_by()
    )
    if not tickets:
        return
    ids = [ticket.pk for ticket in tickets]
    TicketMessage.objects.filter(workspace_id=workspace_id, ticket_id__in=ids).delete()
    blank_tickets(tickets, unlink=False)


register_activity_source("support.tickets", _recent_tickets)
register_person_part("support.tickets", _remove_ticket_words)
