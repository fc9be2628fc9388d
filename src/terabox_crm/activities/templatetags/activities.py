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

from terabox_crm.activities import selectors
from terabox_crm.core import policy

register = template.Library()

# The record types an activity links to (``services.Links``), by model name.
_LINKS = frozenset({"contact", "company", "deal"})


@register.inclusion_tag("activities/partials/_timeline.html", takes_context=True)
def record_timeline(context, record) -> dict:
    """The newest activities of ``record`` and where to log a new one."""
    link = record._meta.model_name
    if link not in _LINKS:
        raise ValueError(f"record_timeline: an activity does not link to a {link}")
    request = context["request"]
    membership = request.membership
    log_url = ""
    if policy.can(membership, "activities.add"):
        log_url = f"{reverse('activities:activity_create')}?{link}={record.pk}"
        # The log form returns to a deal by itself; to a contact or a company
        # only when told where (activities.views._back).
        if link != "deal":
            log_url += f"&next={request.path}"
    return {
        "request": request,
        "activities": selectors.timeline(membership, **{link: record}),
        "log_url": log_url,
    }
