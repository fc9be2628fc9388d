"""Display filters of the contact screens."""

from __future__ import annotations

import phonenumbers
from django import template

from terabox_crm.core import policy

register = template.Library()


@register.filter
def phone_display(value: str) -> str:
    """E.164 as people read it: Japanese numbers in national form
    (``03-1234-5678``), others in international form (``+1 415-555-0100``)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 81:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.simple_tag(takes_context=True)
def locked_ids(context, rows, restricted) -> set:
    """The ids among a page's ``rows`` that are restricted (P7) and that the
    signed-in member may not change: read-only for everyone but privacy
    officers, so no row checkbox (the bulk bar would only be refused). No
    query: ``restricted`` is the page's ``restricted_ids``."""
    membership = context["request"].membership
    locked = set()
    for contact in rows:
        if contact.pk in restricted:
            contact._privacy_restricted = True  # what ``contacts.rules`` asks
            if not policy.can(membership, "contacts.change", contact):
                locked.add(contact.pk)
    return locked
