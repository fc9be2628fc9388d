"""The activities panel of a record's page, contributed by the activities app.

A contact's, a company's and a deal's page show the activities logged
against the record. Activities link to contacts and deals, so those apps do
not read activities: their templates ask for the panel and this app fills
it (``docs/architecture.md``, "Panels from the apps above")::

    {% load activities %}
    {% record_timeline contact %}

What the panel lists is what the request's membership may read
(``Activity.objects.visible_to``, S6); the "Log an activity" link shows only
to a member the policy lets add one.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from terabox_crm.activities import selectors
from terabox_crm.core import policy, records
from terabox_crm.privacy import selectors as privacy_selectors

register = template.Library()

# The record types an activity links to (``services.Links``), by model name.
_LINKS = frozenset({"contact", "company", "deal"})


# The query parameter of the timeline's older page: ``<occurred_at ISO>|<id>``.
BEFORE_PARAM = "activities_before"
# A company's page rolls up its contacts' activities, a page of this many at a time.
ROLLUP_PAGE = 20


def _before(request) -> tuple | None:
    """The keyset of the older page asked for, or None (the newest; a value
    that does not parse is the newest page too, never an error)."""
    moment, _sep, last_id = request.GET.get(BEFORE_PARAM, "").partition("|")
    at = parse_datetime(moment) if moment else None
    key = records.as_uuid(last_id)
    return (at, key) if at is not None and key is not None else None


@register.inclusion_tag("activities/partials/_timeline.html", takes_context=True)
def record_timeline(context, record, with_people=False) -> dict:
    """The newest activities of ``record`` and where to log a new one.

    ``with_people`` (a company): its contacts' activities too, a page of
    ``ROLLUP_PAGE`` with a link to the older ones (keyset, no OFFSET: a
    company of 10,000 contacts pages as fast as one of ten)."""
    link = record._meta.model_name
    if link not in _LINKS:
        raise ValueError(f"record_timeline: an activity does not link to a {link}")
    request = context["request"]
    membership = request.membership
    limit = ROLLUP_PAGE if with_people else selectors.TIMELINE_LIMIT
    before = _before(request) if with_people else None
    rows = selectors.timeline(
        membership, **{link: record}, with_people=bool(with_people), before=before, limit=limit
    )
    older_url = ""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        older_url = "?" + urlencode({BEFORE_PARAM: f"{last.occurred_at.isoformat()}|{last.pk}"})
    log_url = ""
    if policy.can(membership, "activities.add"):
        log_url = f"{reverse('activities:activity_create')}?{link}={record.pk}"
        # The log form returns to a deal by itself; to a contact or a company
        # only when told where (activities.views._back).
        if link != "deal":
            log_url += f"&next={request.path}"
    return {
        "request": request,
        "activities": rows,
        "log_url": log_url,
        "with_people": bool(with_people),
        "older_url": older_url,
        # Contacts under restriction of use (P7) are marked where the rows name them.
        "restricted": privacy_selectors.restricted_ids(
            membership.workspace_id, {row.contact_id for row in rows if row.contact_id}
        )
        if with_people
        else set(),
        "newest_url": request.path if before is not None else "",
        "current_membership": membership,
    }


@register.inclusion_tag("activities/partials/_record_tasks.html", takes_context=True)
def record_tasks(context, record) -> dict:
    """The tasks of ``record`` (a contact, company or deal) and a "New task"
    link that arrives with the record linked; the list is what the member may
    read (S6), "New task" only for ``activities.add``."""
    link = record._meta.model_name
    if link not in _LINKS:
        raise ValueError(f"record_tasks: a task does not link to a {link}")
    request = context["request"]
    membership = request.membership
    tasks, has_more = selectors.record_tasks(membership, **{link: record})
    new_url = ""
    if policy.can(membership, "activities.add"):
        params = {link: record.pk, "next": request.path}
        # A task about a contact at a company is about the company too.
        if link == "contact" and getattr(record, "company_id", None):
            params["company"] = record.company_id
        new_url = f"{reverse('activities:task_create')}?{urlencode(params)}"
    return {
        "request": request,
        "tasks": tasks,
        "has_more": has_more,
        "new_url": new_url,
        "all_url": f"{reverse('activities:tasks')}?{urlencode({link: record.pk})}",
    }
