"""The tickets panel of a contact's and a company's page, contributed by the
support app (docs/architecture.md, "Panels from the apps above")::

    {% load support %}
    {% record_tickets contact %}

It lists the tickets the record asked that the request's membership may read
(``Ticket.objects.visible_to``, S6), a bounded page with a "See all" link to
the ticket queue filtered by the record, and a "New ticket" button that
arrives with the requester set, only for ``tickets.add``. Contacts under
restriction of use (P7) are marked where the rows name them.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from terabox_crm.core import policy
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.support import selectors, sla

register = template.Library()

_LINKS = frozenset({"contact", "company"})


@register.inclusion_tag("support/partials/_record_tickets.html", takes_context=True)
def record_tickets(context, record) -> dict:
    link = record._meta.model_name
    if link not in _LINKS:
        raise ValueError(f"record_tickets: a ticket does not link to a {link}")
    request = context["request"]
    membership = request.membership
    if not policy.can(membership, "tickets.view"):
        return {"hidden": True}
    tickets, has_more = selectors.record_tickets(membership, **{link: record})
    new_url = ""
    if policy.can(membership, "tickets.add"):
        params = {link: record.pk}
        if link == "contact" and record.company_id:
            params["company"] = record.company_id
        new_url = f"{reverse('support:create')}?{urlencode(params)}"
    return {
        "request": request,
        "current_membership": membership,
        "tickets": [(ticket, sla.clock(ticket)) for ticket in tickets],
        "has_more": has_more,
        "new_url": new_url,
        "all_url": f"{reverse('support:tickets')}?"
        + urlencode({link: record.pk, "status": selectors.ALL_STATUSES}),
        "show_contact": link == "company",
        "restricted": privacy_selectors.restricted_ids(
            membership.workspace_id, {t.contact_id for t in tickets if t.contact_id}
        )
        if link == "company"
        else set(),
    }
