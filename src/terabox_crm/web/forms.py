"""How Django renders a field that a template does not lay out by hand
(``form.as_div`` calls ``as_field_group`` for each field): through the same
partial as the hand-laid forms (``web/partials/_field.html``), so every form
of the product shows labels, help and errors one way (docs/ui.md, "Forms").

Labels never end in a colon, in either language: ``label_text`` drops one
a label or a translation carries, and ``label_tag`` (Django adds ``:`` or
``：`` there) goes through the same function in ``Renderer.render``. This is
the one place the rule lives.

Empty choices read 「選択してください」 / "Select…" (``core.forms.SELECT``,
where the apps can reach it), never Django's ``---------``.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates

COLONS = ":："
LABEL_TEMPLATE = "django/forms/label.html"


def label_text(label) -> str:
    """``label`` without a trailing colon (ASCII or full-width) or space."""
    return str(label if label is not None else "").rstrip().rstrip(COLONS).rstrip()


class Renderer(DjangoTemplates):
    field_template_name = "web/partials/_field.html"

    def render(self, template_name, context, request=None):
        if template_name == LABEL_TEMPLATE and context.get("field") is not None:
            label = context.get("label")
            field = context["field"]
            # The field's own label with Django's suffix added: plain text
            # again (the template escapes it), without the colon.
            if label is not None and str(label).startswith(str(field.label)):
                context = {**context, "label": label_text(field.label)}
        return super().render(template_name, context, request)
