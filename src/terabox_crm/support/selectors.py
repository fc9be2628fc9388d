"""Reads of support tickets; which ones a member may read is
``Ticket.objects.visible_to(membership)`` (``core.records``: a ticket is
also its assignee's)."""

from __future__ import annotations

from django.db.models import Q

from terabox_crm.crypto import fields, keyring
from terabox_crm.support.models import Status, Ticket

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


def queue(membership, *, status: str = "", mine: bool = False, limit: int = 50, before=None):
    """Open tickets first by resolution deadline; ``before`` is the last seen (due, id)."""
    qs = Ticket.objects.visible_to(membership).select_related("assignee")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if mine:
        qs = qs.filter(assignee_id=membership.user_id)
    if before is not None:
        due, last_id = before
        qs = qs.filter(Q(resolution_due_at__gt=due) | Q(resolution_due_at=due, id__gt=last_id))
    rows = list(qs.order_by("resolution_due_at", "id")[: limit + 1])
    keyring.preload(
        {fields.key_id_of(row.__dict__["subject"]) for row in rows if row.__dict__.get("subject")}
    )
    return rows[:limit], len(rows) > limit


# --- The search page ---------------------------------------------------------------------

SEARCH_LIMIT = 20


def search_page_rows(membership, query: str, results) -> list:
    """The search page's ticket rows (``contacts.selectors.register_search_provider``):
    tickets whose requester is a contact or company the search found, and the
    ticket numbered as typed (``123`` or ``#123``); newest first, visible to
    ``membership`` only. Ticket subjects have no search terms."""
    from django.urls import reverse

    from terabox_crm.contacts.selectors import SearchRow
    from terabox_crm.core import policy

    if not policy.can(membership, "tickets.view"):
        return []
    contacts = {contact.pk: contact for contact in results.contacts}
    condition = Q(contact_id__in=list(contacts)) | Q(
        company_id__in=[company.pk for company in results.companies]
    )
    number = query.strip().lstrip("#＃").strip()
    if number.isascii() and number.isdigit() and len(number) <= 9:
        condition |= Q(number=int(number))
    tickets = (
        Ticket.objects.visible_to(membership)
        .filter(condition)
        .select_related("company", "owner", "assignee")
        .order_by("-created_at")[:SEARCH_LIMIT]
    )
    rows = []
    for ticket in tickets:
        requester = contacts.get(ticket.contact_id)
        rows.append(
            SearchRow(
                "ticket",
                f"#{ticket.number} {ticket.subject}",
                reverse("support:ticket", args=[ticket.pk]),
                record=ticket,
                company=ticket.company,
                reach=requester.primary_email if requester else "",
                owner=ticket.assignee or ticket.owner,
            )
        )
    return rows
