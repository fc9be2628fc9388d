"""The legal-hold panel of a contact's page, and the retention menu item,
contributed by the retention app (``docs/architecture.md``, "Panels from the
apps above")::

    {% load retention %}
    {% legal_hold_panel contact %}

The panel shows a standing hold (reason and who set it, to those who may
change holds) and the form to set or lift one (``retention.holds.change``).
"""

from __future__ import annotations

from django import template

from terabox_crm.core import policy
from terabox_crm.retention import selectors
from terabox_crm.retention.forms import HoldForm

register = template.Library()


@register.inclusion_tag("retention/partials/_legal_hold.html", takes_context=True)
def legal_hold_panel(context, contact) -> dict:
    request = context["request"]
    membership = request.membership
    if not policy.can(membership, "retention.holds.view"):
        return {"show": False}
    can_change = policy.can(membership, "retention.holds.change")
    return {
        "show": True,
        "request": request,
        "contact": contact,
        "hold": selectors.active_hold(membership=membership, subject_id=contact.pk),
        "can_change": can_change,
        "form": HoldForm(auto_id="hold_%s") if can_change else None,
    }


@register.inclusion_tag("retention/partials/_nav_item.html", takes_context=True)
def retention_nav_item(context) -> dict:
    request = context["request"]
    membership = getattr(request, "membership", None)
    return {
        "show": policy.can(membership, "retention.rules.view"),
        "current": getattr(request.resolver_match, "namespace", "") == "retention",
    }
