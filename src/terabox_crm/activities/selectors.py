"""Reads of activities and tasks; which ones a member may read is
``Activity.objects.visible_to(membership)`` / ``Task.objects.visible_to(membership)``
(``core.records``: a task is also its assignee's)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.contacts.models import Contact
from terabox_crm.core import policy, records
from terabox_crm.core.models import Membership
from terabox_crm.crypto import fields, keyring
from terabox_crm.lists import anatomy

TIMELINE_LIMIT = 100
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _preload(rows, *names: str) -> None:
    keyring.preload(
        {
            fields.key_id_of(row.__dict__[name])
            for row in rows
            for name in names
            if row.__dict__.get(name)
        }
    )


def timeline(
    membership,
    *,
    contact=None,
    company=None,
    deal=None,
    with_people: bool = False,
    before: tuple | None = None,
    limit: int = TIMELINE_LIMIT,
) -> list[Activity]:
    """The newest activities of one record, in one query plus one for keys.

    ``with_people`` (a company's page): also the activities of the company's
    contacts, rolled up. ``before`` is the (occurred_at, id) of the last row
    already shown (a keyset page, never an OFFSET). One more row than
    ``limit`` is read so the caller knows whether there is an older page.
    """
    qs = Activity.objects.visible_to(membership).select_related("owner", "contact")
    if contact is not None:
        qs = qs.filter(contact=contact)
    if deal is not None:
        qs = qs.filter(deal=deal)
    if before is not None:
        at, last_id = before
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=last_id))
    order = ("-occurred_at", "-id")
    if company is not None and with_people:
        # Two indexed reads, merged: the company's own activities
        # (activity_company) and its people's (activity_contact, one probe
        # per contact of the company). One OR-ed query made SQLite read and
        # sort every activity of the workspace instead.
        people = Contact.objects.filter(company=company).values("id")
        found = {
            row.pk: row
            for part in (qs.filter(company=company), qs.filter(contact_id__in=people))
            for row in part.order_by(*order)[: limit + 1]
        }
        rows = sorted(found.values(), key=lambda row: (row.occurred_at, row.pk), reverse=True)
        rows = rows[: limit + 1]
    else:
        if company is not None:
            qs = qs.filter(company=company)
        rows = list(qs.order_by(*order)[: limit + 1])
    _preload(rows, "subject", "body")
    if with_people:
        _preload([row.contact for row in rows if row.contact], "family_name", "given_name")
    # One reverse() for the page, not one per row (a hundred rows render each visit).
    delete_url = reverse("activities:activity_delete", args=[_PLACEHOLDER])
    records.preload_locks(membership, rows)
    for row in rows:
        row.deletable = policy.can(membership, "activities.change", row)
        row.delete_url = delete_url.replace(_PLACEHOLDER, str(row.pk))
    return rows


RELATED_TASKS_LIMIT = 10


def record_tasks(
    membership, *, limit: int = RELATED_TASKS_LIMIT, **link
) -> tuple[list[Task], bool]:
    """The tasks of one contact, company or deal (``link``: one of
    ``contact=``, ``company=``, ``deal=``) the member may read: open ones
    first, soonest due; at most ``limit``, and whether there are more. Two
    queries (rows with their assignee, keys), whatever the record holds."""
    ((name, record),) = link.items()
    rows = list(
        Task.objects.visible_to(membership)
        .filter(**{name: record})
        .select_related("assignee")
        .order_by("-status", "due_at", "id")[: limit + 1]
    )
    _preload(rows[:limit], "title")
    return rows[:limit], len(rows) > limit


def preload_titles(tasks) -> None:
    """One query for the keys of a page of tasks' titles."""
    _preload(tasks, "title")


def my_open_tasks(membership) -> list[Task]:
    rows = list(
        Task.objects.filter(assignee_id=membership.user_id, status=Task.Status.OPEN)
        .select_related("contact", "deal")
        .order_by("due_at", "id")[:200]
    )
    _preload(rows, "title")
    return rows


# --- The task list (work queues) -----------------------------------------------------------

TASK_SCOPES = ("", "team", "all")
TASK_DUES = ("overdue", "today", "week")
TASK_STATUSES = ("", "done", "any")


def _local_midnight(now):
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def task_queue(membership, *, scope="", due="", status="", assignee=None, links=None, now=None):
    """The tasks of one work queue, before order and page: ``scope`` mine
    (""), my team's ("team") or everyone's I may read ("all"); ``due``
    overdue, today or this week (the workspace's time zone); ``status`` open
    (""), done or any. A record's "See all" (``links``) shows all its tasks."""
    now = now or timezone.now()
    queryset = Task.objects.visible_to(membership).select_related(
        "assignee", "contact", "company", "deal"
    )
    links = links or {}
    for name, value in links.items():
        queryset = queryset.filter(**{f"{name}_id": value})
    if scope == "team":
        if membership.team_id:
            team = Membership.objects.filter(
                workspace_id=membership.workspace_id, team_id=membership.team_id
            ).values("user_id")
            queryset = queryset.filter(Q(assignee_id__in=team) | Q(team_id=membership.team_id))
        else:
            queryset = queryset.filter(assignee_id=membership.user_id)
    elif scope != "all" and not links:
        queryset = queryset.filter(assignee_id=membership.user_id)
    if assignee:
        queryset = queryset.filter(assignee_id=assignee)
    if status == "done":
        queryset = queryset.filter(status=Task.Status.DONE)
    elif status != "any":
        queryset = queryset.filter(status=Task.Status.OPEN)
    midnight = _local_midnight(now)
    if due == "overdue":
        queryset = queryset.filter(due_at__lt=now)
    elif due == "today":
        queryset = queryset.filter(due_at__gte=midnight, due_at__lt=midnight + timedelta(days=1))
    elif due == "week":
        start = midnight - timedelta(days=midnight.weekday())
        queryset = queryset.filter(due_at__gte=start, due_at__lt=start + timedelta(days=7))
    return queryset


def task_list_page(membership, queryset, sort, *, cursor: str = ""):
    """A keyset page of ``queryset`` in ``sort``'s order, its capped count,
    and the titles' and linked names' keys loaded in one query each."""
    count = anatomy.capped_count(queryset)
    page = anatomy.keyset(queryset, sort, cursor=cursor)
    contact_selectors.preload_keys(membership.workspace_id)
    return page, count
