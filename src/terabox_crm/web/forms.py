"""How Django renders a form or a field that a template does not lay out by
hand: through the same partials as the hand-laid forms
(``web/partials/_field.html``, ``web/partials/_form.html``), so every form of
the product shows labels, help and errors one way."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class Renderer(DjangoTemplates):
    form_template_name = "web/partials/_form.html"
    field_template_name = "web/partials/_field.html"
