"""Form helpers for the templates (docs/ui.md, "Forms"): ``label_text``
(no trailing colon) and ``field_layout`` (the grid cell a field takes)."""

from __future__ import annotations

from django import template

from terabox_crm.web import forms

register = template.Library()


@register.filter
def label_text(label) -> str:
    return forms.label_text(label)


@register.filter
def field_layout(field) -> str:
    """The field's cell in a ``.form-grid``: ``form-field--half`` for the
    fields its form pairs (``half_fields``: 姓 | 名), ``form-field--fit`` for
    short values (``fit_fields``: a date, an amount, a postal code)."""
    form = getattr(field, "form", None)
    classes = []
    if field.name in getattr(form, "half_fields", ()):
        classes.append("form-field--half")
        if "name" in field.name:  # 姓 | 名 stay side by side on a phone too
            classes.append("form-field--name")
    if field.name in getattr(form, "fit_fields", ()):
        classes.append("form-field--fit")
    return " ".join(classes)
