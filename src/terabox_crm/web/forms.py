"""How Django renders a field that a template does not lay out by hand
(``form.as_div`` calls ``as_field_group`` for each field): through the same
partial as the hand-laid forms (``web/partials/_field.html``), so every form
of the product shows labels, help and errors one way."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class Renderer(DjangoTemplates):
    field_template_name = "web/partials/_field.html"
