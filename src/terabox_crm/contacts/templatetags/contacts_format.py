"""Display filters of the contact screens."""

from __future__ import annotations

import phonenumbers
from django import template

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
