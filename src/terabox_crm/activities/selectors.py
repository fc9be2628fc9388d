"""Reads of activities and tasks; which ones a member may read is
``Activity.objects.visible_to(membership)`` / ``Task.objects.visible_to(membership)``
(``core.records``: a task is also its assignee's)."""

from __future__ import annotations

from django.urls import reverse

from terabox_crm.activities.models import Activity, Task
from terabox_crm.core import policy
from terabox_crm.crypto import fields, keyring

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


def timeline(membership, *, contact=None, company=None, deal=None) -> list[Activity]:
    """The newest activities of one record, in one query plus one for keys."""
    qs = Activity.objects.visible_to(membership).select_related("owner")
    if contact is not None:
        qs = qs.filter(contact=contact)
    if company is not None:
        qs = qs.filter(company=company)
    if deal is not None:
        qs = qs.filter(deal=deal)
    rows = list(qs.order_by("-occurred_at", "-id")[:TIMELINE_LIMIT])
    _preload(rows, "subject", "body")
    # One reverse() for the page, not one per row (a hundred rows render each visit).
    delete_url = reverse("activities:activity_delete", args=[_PLACEHOLDER])
    for row in rows:
        row.deletable = policy.can(membership, "activities.change", row)
        row.delete_url = delete_url.replace(_PLACEHOLDER, str(row.pk))
    return rows


def my_open_tasks(membership) -> list[Task]:
    rows = list(
        Task.objects.filter(assignee_id=membership.user_id, status=Task.Status.OPEN)
        .select_related("contact", "deal")
        .order_by("due_at", "id")[:200]
    )
    _preload(rows, "title")
    return rows
