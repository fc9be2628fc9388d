"""The Import button a list shows beside Export (one line in the list's template)::

    {% load imports %}{% import_button "contacts" %}

It shows only to members the policy lets import and create that list's records."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from terabox_crm.core import policy
from terabox_crm.imports.models import Resource
from terabox_crm.imports.services import ADD_PERMISSION

register = template.Library()


@register.inclusion_tag("imports/partials/_button.html", takes_context=True)
def import_button(context, resource: str) -> dict:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if resource not in Resource.values or not (
        policy.can(membership, "imports.create")
        and policy.can(membership, ADD_PERMISSION[Resource(resource)])
    ):
        return {"url": ""}
    return {"url": f"{reverse('imports:new')}?{urlencode({'resource': resource})}"}
