"""``{{ moment|with_zone }}``: a date-time in the language's one format with the
time zone's abbreviation (「2026年4月1日 09:30 JST」, "1 Apr 2026, 09:30 JST"),
for emails and deadlines read away from the screen (core/formats)."""

from __future__ import annotations

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def with_zone(value) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {formats.date_format(local, 'T')}"
