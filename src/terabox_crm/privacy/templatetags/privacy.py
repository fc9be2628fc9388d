"""The privacy panel of a contact's page (P7), contributed by the privacy
engine (docs/architecture.md, "Panels from the apps above")::

    {% load privacy %}
    {% privacy_panel contact %}

It shows whether the contact's use is restricted (利用停止) and by whom, the
current consent state per purpose (derived from the ledger), the newest
ledger events, and the links the policy allows: record consent, restrict,
lift (privacy officers, with step-up). ``restricted_badge`` marks a
restricted contact wherever a page names one.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from terabox_crm.core import policy
from terabox_crm.privacy import selectors

register = template.Library()

HISTORY_SHOWN = 20


@register.inclusion_tag("privacy/partials/_panel.html", takes_context=True)
def privacy_panel(context, contact) -> dict:
    request = context["request"]
    membership = request.membership
    workspace = membership.workspace
    restriction = selectors.active_restriction(workspace, contact.pk)
    history = list(selectors.consent_history(workspace, [contact.pk], limit=HISTORY_SHOWN))
    return {
        "request": request,
        "contact": contact,
        "restriction": restriction,
        "states": selectors.consent_states(workspace, contact.pk),
        "history": history,
        "can_view": policy.can(membership, "privacy.consent.view"),
        "record_url": reverse("privacy:consent_record", args=[contact.pk])
        if policy.can(membership, "privacy.consent.record")
        else "",
        "restrict_url": reverse("privacy:restrict", args=[contact.pk])
        if restriction is None and policy.can(membership, "privacy.restriction.set")
        else "",
        "lift_url": reverse("privacy:lift", args=[contact.pk])
        if restriction is not None and policy.can(membership, "privacy.restriction.lift")
        else "",
    }


@register.simple_tag(takes_context=True)
def restricted_ids(context, records) -> set:
    """The ids among ``records`` under restriction of use (one query per page)."""
    membership = context["request"].membership
    return selectors.restricted_ids(membership.workspace, [record.pk for record in records])


@register.simple_tag(takes_context=True)
def restricted_contact_ids(context, records) -> set:
    """The ids of the contacts that ``records`` (deals, tasks, tickets: their
    ``contact_id``) name and that are under restriction of use, for marking
    a list of them (P7: marked in every list); one query per page."""
    ids = [record.contact_id for record in records if getattr(record, "contact_id", None)]
    if not ids:
        return set()
    return selectors.restricted_ids(context["request"].membership.workspace, ids)


@register.inclusion_tag("privacy/partials/_restricted_badge.html")
def restricted_badge(record, restricted=None) -> dict:
    """The "restricted" mark: pass the set of ``restricted_ids`` (or
    ``restricted_contact_ids``) in a list; alone — or in a row rendered on
    its own, where the list's set is not in the context — it asks for this
    one record."""
    if not isinstance(restricted, (set, frozenset)):
        restricted = selectors.restricted_ids(record.workspace_id, [record.pk])
    return {"restricted": record.pk in restricted}
