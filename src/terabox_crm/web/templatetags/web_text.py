"""Text in the reader's language (docs/ui.md, "Terminology"): lists joined
with 「、」 in Japanese and ", " in English."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def joined(items) -> str:
    """``["姓", "名"]`` → 「姓、名」 / "Family name, Given name"."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


@register.filter
def grouped(number) -> str:
    """3000 → "3,000": digits grouped by three, as both languages write them."""
    try:
        return f"{int(number):,}"
    except (TypeError, ValueError):
        return str(number)


@register.filter
def with_colon(label) -> str:
    """「状態：」 / "Status: ": a label before its value, with the colon of the
    reader's language (full-width next to Japanese)."""
    colon = pgettext("label separator", ": ")
    return f"{label}{colon}"
