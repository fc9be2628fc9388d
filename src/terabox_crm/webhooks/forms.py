"""Forms of the webhooks pages; the services do the checking (SSRF included)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terabox_crm.core import bus

# Which form field shows a service error, by its code.
FIELD_OF_CODE = {
    "unknown_event": "events",
    "no_events": "events",
    "description_too_long": "description",
}


def event_choices() -> list[tuple[str, str]]:
    return [(item.name, f"{item.label} ({item.name})") for item in bus.declared()]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        help_text=_("An https:// address on the public internet that accepts POST requests."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=(), widget=forms.CheckboxSelectMultiple, required=False
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()

    def add_service_error(self, error: ValidationError) -> None:
        for item in error.error_list:
            self.add_error(FIELD_OF_CODE.get(item.code, "url"), item)
