"""Reads of support tickets; which ones a member may read is
``Ticket.objects.visible_to(membership)`` (``core.records``: a ticket is
also its assignee's)."""

from __future__ import annotations

from django.db.models import Q

from terabox_crm.crypto import fields, keyring
from terabox_crm.support.models import Status, Ticket

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


ALL_STATUSES = "all"


def queue(
    membership,
    *,
    status: str = "",
    mine: bool = False,
    limit: int = 50,
    before=None,
    contact=None,
    company=None,
):
    """Open tickets first by resolution deadline; ``before`` is the last seen
    (due, id). ``status`` ``"all"``: every status; ``contact``/``company``
    (ids): the tickets that person or company asked."""
    qs = Ticket.objects.visible_to(membership).select_related("assignee")
    if status == ALL_STATUSES:
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if contact is not None:
        qs = qs.filter(contact_id=contact)
    if company is not None:
        qs = qs.filter(company_id=company)
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


def ticket_queue(
    membership,
    *,
    status: str = "",
    priority: str = "",
    mine: bool = False,
    assignee=None,
    contact=None,
    company=None,
):
    """The ticket list's rows before order and page (``lists.anatomy``):
    open tickets unless ``status`` says one or ``"all"``; by priority,
    assignee (``mine``: the member), or the person or company that asked."""
    qs = Ticket.objects.visible_to(membership).select_related("assignee", "contact", "company")
    if status == ALL_STATUSES:
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if priority:
        qs = qs.filter(priority=priority)
    if contact is not None:
        qs = qs.filter(contact_id=contact)
    if company is not None:
        qs = qs.filter(company_id=company)
    if mine:
        qs = qs.filter(assignee_id=membership.user_id)
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    return qs


RELATED_TICKETS_LIMIT = 10


def record_tickets(
    membership, *, limit: int = RELATED_TICKETS_LIMIT, **link
) -> tuple[list[Ticket], bool]:
    """The tickets one contact or company asked (``link``: ``contact=`` or
    ``company=``) that the member may read: open ones first, newest first;
    at most ``limit``, and whether there are more. One query for the rows
    with their assignee and contact, one for the keys."""
    ((name, record),) = link.items()
    rows = list(
        Ticket.objects.visible_to(membership)
        .filter(**{name: record})
        .select_related("assignee", "contact")
        .annotate(is_closed=Q(status__in=[Status.RESOLVED, Status.CLOSED]))
        .order_by("is_closed", "-created_at", "-id")[: limit + 1]
    )
    rows, has_more = rows[:limit], len(rows) > limit
    keyring.preload(
        {
            fields.key_id_of(value)
            for row in rows
            for value in (
                row.__dict__.get("subject"),
                row.contact.__dict__.get("family_name") if row.contact else None,
                row.contact.__dict__.get("given_name") if row.contact else None,
            )
            if value
        }
    )
    return rows, has_more


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
