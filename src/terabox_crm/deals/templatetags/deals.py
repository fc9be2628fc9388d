"""The deals panel of a contact's and a company's page, contributed by the
deals app (docs/architecture.md, "Panels from the apps above")::

    {% load deals %}
    {% record_deals contact %}

It lists the deals of the record the request's membership may read
(``Deal.objects.visible_to``, S6), a bounded page with a "See all" link to the
deal list filtered by the record, and a "New deal" button that arrives with
the record set (and a contact's company), only for ``deals.add``. Contacts
under restriction of use (P7) are marked where the rows name them.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from terabox_crm.core import policy
from terabox_crm.deals import selectors
from terabox_crm.privacy import selectors as privacy_selectors

register = template.Library()

_LINKS = frozenset({"contact", "company"})


@register.inclusion_tag("deals/partials/_record_deals.html", takes_context=True)
def record_deals(context, record) -> dict:
    link = record._meta.model_name
    if link not in _LINKS:
        raise ValueError(f"record_deals: a deal does not link to a {link}")
    request = context["request"]
    membership = request.membership
    deals, has_more = selectors.record_deals(membership, **{link: record})
    new_url = ""
    if policy.can(membership, "deals.add"):
        params = {link: record.pk}
        if link == "contact" and record.company_id:
            params["company"] = record.company_id
        new_url = f"{reverse('deals:create')}?{urlencode(params)}"
    return {
        "request": request,
        "current_membership": membership,
        "deals": deals,
        "has_more": has_more,
        "new_url": new_url,
        "all_url": f"{reverse('deals:list')}?{urlencode({link: record.pk})}",
        "show_contact": link == "company",
        "restricted": privacy_selectors.restricted_ids(
            membership.workspace_id, {deal.contact_id for deal in deals if deal.contact_id}
        )
        if link == "company"
        else set(),
    }
