"""Showing a linked record only to those who may read it (S6).

A deal, a contact or a task may link a record the viewer cannot read: linked
before team visibility was turned on, or by a colleague with wider rights.
Its name is not shown then, only a neutral label::

    {% load records %}
    {% if deal.contact|readable_by:current_membership %}…name…{% else %}{% unreadable_record %}{% endif %}
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from terabox_crm.core import records

register = template.Library()


@register.filter
def readable_by(record, membership) -> bool:
    """Whether ``membership`` may read ``record`` (False for no record)."""
    return record is not None and records.can_read(membership, record)


@register.simple_tag
def unreadable_record() -> str:
    """The label shown instead of a linked record's name the viewer may not read."""
    return format_html('<span class="muted">{}</span>', records.UNREADABLE_LABEL)
