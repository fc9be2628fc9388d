"""The Export button a list shows (one line in the list's template)::

    {% load exports %}{% export_button "contacts" %}

It carries the list's query string (its filters and search; not its page
position) to the export form, and shows only to members the policy lets
export and read that list."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from terabox_crm.core import policy
from terabox_crm.exports import resources

register = template.Library()


@register.inclusion_tag("exports/partials/_button.html", takes_context=True)
def export_button(context, resource: str) -> dict:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    found = resources.RESOURCES.get(resource)
    if found is None or not (
        policy.can(membership, "exports.create") and policy.can(membership, found.permission)
    ):
        return {"url": ""}
    params = {"resource": found.code, **resources.clean_params(found, request.GET)}
    return {"url": f"{reverse('exports:new')}?{urlencode(params)}", "resource": found}
