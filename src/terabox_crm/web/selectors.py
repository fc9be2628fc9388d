"""Reads the shell's own pages need from other apps."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import Task
from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.contacts.models import Contact
from terabox_crm.core import policy, records
from terabox_crm.crypto import fields, keyring
from terabox_crm.deals import selectors as deal_selectors
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.support import selectors as ticket_selectors
from terabox_crm.support import sla


def two_factor_enabled(user) -> bool | None:
    """Whether the user has a confirmed second factor; None when unknowable.

    Asks the accounts app (``User.has_confirmed_totp``); recovery codes back a
    factor up but are not one. None if accounts cannot tell, so the home page
    never claims a status it cannot back up.
    """
    value = getattr(user, "has_confirmed_totp", None)
    return bool(value) if value is not None else None


# --- The top bar's live search (typeahead) ------------------------------------------------

SUGGEST_MIN_LENGTH = 2
SUGGEST_LIMIT = 8
# Candidates decrypted per group at most: truncated terms give false positives
# (16+ per prefix term by design), which the plaintext check drops.
SUGGEST_CANDIDATES = 60


@dataclass
class Suggestion:
    label: str
    url: str
    detail: str = ""
    restricted: bool = False  # a contact under restriction of use (P7): marked


@dataclass
class Suggestions:
    query: str
    prefix: bool = False
    contacts: list[Suggestion] = field(default_factory=list)
    companies: list[Suggestion] = field(default_factory=list)
    deals: list[Suggestion] = field(default_factory=list)

    @property
    def groups(self) -> list[tuple[str, str, list[Suggestion]]]:
        return [
            (key, label, rows)
            for key, label, rows in (
                ("contacts", _("Contacts"), self.contacts),
                ("companies", _("Companies"), self.companies),
                ("deals", _("Deals"), self.deals),
            )
            if rows
        ]

    @property
    def count(self) -> int:
        return len(self.contacts) + len(self.companies) + len(self.deals)


def _share(groups: list[list], limit: int) -> list[list]:
    """At most ``limit`` rows in all, taken in turn from each group, so one
    group with many matches does not push the others out of the dropdown."""
    taken = [0] * len(groups)
    total = 0
    while total < limit:
        moved = False
        for index, rows in enumerate(groups):
            if taken[index] < len(rows) and total < limit:
                taken[index] += 1
                total += 1
                moved = True
        if not moved:
            break
    return [rows[:count] for rows, count in zip(groups, taken, strict=True)]


def _contacts_and_companies(membership, query: str, *, prefix: bool) -> tuple[list, list]:
    """Contacts and companies for ``query``: the search page's own search
    (``contacts.selectors.global_search``), by prefix where the workspace
    turned prefix search on, so the dropdown and the page always agree."""

    results = contact_selectors.global_search(membership, query, limit=SUGGEST_LIMIT, prefix=prefix)
    return results.contacts, results.companies


def _deals(membership, query: str) -> list:
    """Deals whose name holds every word of ``query`` (deal names have no
    prefix terms), visible to ``membership``, compared after decryption."""
    return deal_selectors.name_matches(membership, query, limit=SUGGEST_LIMIT)


def _company_note(membership, contact) -> str:
    """The contact's company, by name only when ``membership`` may read it (S6)."""
    if not contact.company_id:
        return ""
    if not records.can_read(membership, contact.company):
        return str(records.UNREADABLE_LABEL)
    return contact.company.name


def suggestions(membership, query: str) -> Suggestions:
    """Up to ``SUGGEST_LIMIT`` contacts, companies and deals for the top bar's
    search box, each group only if ``membership`` may see that kind of record
    (``contacts.view``, ``companies.view``, ``deals.view``) and only records
    it may read. A handful of queries whatever the number of matches."""
    query = (query or "").strip()[:200]
    result = Suggestions(query=query, prefix=bool(membership.workspace.name_prefix_search))
    if len(query) < SUGGEST_MIN_LENGTH:
        return result
    contacts, companies = [], []
    if policy.can(membership, "contacts.view"):
        contacts, companies = _contacts_and_companies(membership, query, prefix=result.prefix)
    if not policy.can(membership, "companies.view"):
        companies = []
    deals = _deals(membership, query) if policy.can(membership, "deals.view") else []
    contacts, companies, deals = _share([contacts, companies, deals], SUGGEST_LIMIT)
    # Marked as every list marks them (P7), one query for the dropdown.
    restricted = (
        privacy_selectors.restricted_ids(membership.workspace, [c.pk for c in contacts])
        if contacts
        else set()
    )
    result.contacts = [
        Suggestion(
            contact.display_name,
            reverse("contacts:detail", args=[contact.pk]),
            _company_note(membership, contact),
            restricted=contact.pk in restricted,
        )
        for contact in contacts
    ]
    result.companies = [
        Suggestion(company.name, reverse("companies:detail", args=[company.pk]))
        for company in companies
    ]
    result.deals = [
        Suggestion(deal.name, reverse("deals:detail", args=[deal.pk]), deal.stage.name)
        for deal in deals
    ]
    return result


# --- The home page ---------------------------------------------------------------------------

HOME_TASKS = 8  # per list (overdue, coming up)
HOME_TASK_DAYS = 7
HOME_TICKETS = 8
HOME_CONTACTS = 8


@dataclass
class HomeTasks:
    overdue: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    more_overdue: bool = False
    more_upcoming: bool = False


def _first(queryset, limit: int) -> tuple[list, bool]:
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def home_tasks(membership, *, now=None) -> HomeTasks:
    """Open tasks assigned to ``membership``'s user: overdue, then due from
    now to the end of the ``HOME_TASK_DAYS``-th day (local time). Two
    bounded queries plus one for their keys, whatever the number of tasks."""
    from datetime import timedelta

    from django.utils import timezone

    now = now or timezone.now()
    local = timezone.localtime(now)
    horizon = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=HOME_TASK_DAYS + 1
    )
    mine = (
        Task.objects.visible_to(membership)
        .filter(assignee_id=membership.user_id, status=Task.Status.OPEN)
        .only("id", "workspace_id", "title", "due_at", "status", "assignee_id")
        .order_by("due_at", "id")
    )
    result = HomeTasks()
    result.overdue, result.more_overdue = _first(mine.filter(due_at__lt=now), HOME_TASKS)
    result.upcoming, result.more_upcoming = _first(
        mine.filter(due_at__gte=now, due_at__lt=horizon), HOME_TASKS
    )
    rows = result.overdue + result.upcoming
    keyring.preload({fields.key_id_of(row.__dict__["title"]) for row in rows})
    today = local.date()
    for row in rows:
        row.overdue = row.due_at < now
        row.due_today = timezone.localtime(row.due_at).date() == today
    return result


def home_tickets(membership, *, now=None) -> tuple[list, bool]:
    """Open tickets assigned to ``membership``'s user, the nearest SLA
    deadline first, each with its SLA clock: ``([(ticket, clock)], more)``."""
    from django.utils import timezone

    now = now or timezone.now()
    rows, more = ticket_selectors.queue(membership, mine=True, limit=HOME_TICKETS)
    return [(ticket, sla.clock(ticket, now=now)) for ticket in rows], more


def home_contacts(membership) -> list:
    """The contacts ``membership`` may read, most recently updated first."""

    rows = list(
        Contact.objects.visible_to(membership)
        .select_related("company")
        .order_by("-updated_at", "-id")[:HOME_CONTACTS]
    )
    if rows:
        contact_selectors.preload_keys(membership.workspace_id)
    return rows
