"""Forms of the webhooks pages; the services do the checking (SSRF included)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terabox_crm.core import bus
from terabox_crm.privacy import selectors as privacy

# Which form field shows a service error, by its code.
FIELD_OF_CODE = {
    "unknown_event": "events",
    "no_events": "events",
    "description_too_long": "description",
    "unknown_purpose": "purpose",
    "recipient_required": "recipient",
    "recipient_too_long": "recipient",
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
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=(),
        initial="support",
        required=False,
        help_text=_(
            "What the receiver uses the data for. Deliveries about a contact this purpose "
            "may not use (no consent, withdrawn, restricted) are not sent."
        ),
    )
    third_party = forms.BooleanField(
        label=_("The receiver is a third party"),
        required=False,
        help_text=_(
            "Each delivery about a contact is then recorded as a provision to a third party."
        ),
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()
        self.fields["purpose"].choices = [
            (purpose.code, purpose.name) for purpose in privacy.purposes(workspace)
        ]

    def clean_purpose(self) -> str:
        return self.cleaned_data.get("purpose") or "support"

    def add_service_error(self, error: ValidationError) -> None:
        for item in error.error_list:
            self.add_error(FIELD_OF_CODE.get(item.code, "url"), item)
