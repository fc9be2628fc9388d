"""Forms of the public request page and the staff queue."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terabox_crm.core.dates import DateField
from terabox_crm.core.forms import SELECT
from terabox_crm.crypto import normalise
from terabox_crm.dsr.models import (
    ANSWER_ADDRESS_REQUIRED,
    DETAILS_MAX_LENGTH,
    MAX_DUE_DAYS,
    POSTAL_ADDRESS_MAX_LENGTH,
    RECORDED_CHANNELS,
    TRANSITIONS,
    Kind,
    Status,
)

NEEDS_DETAILS = {
    Kind.CORRECTION: _("Say what is wrong and what it should be."),
    Kind.WITHDRAWAL: _("Say which uses of your data you no longer agree to."),
}


# One line under each choice of the public page, so that a person who does
# not know the words of the law picks the right request (P8, P9).
KIND_HELP = {
    Kind.ACCESS: _("See the data held about you, and to whom it was provided."),
    Kind.CORRECTION: _("Have wrong or outdated data corrected: say what in the details."),
    Kind.RESTRICTION: _("Have your data kept but no longer used."),
    Kind.WITHDRAWAL: _("Take back a consent you gave, for example to newsletters."),
    Kind.DELETION: _("Have your data erased wherever it is held."),
}


class RequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send a link to this address to check that it is yours."),
    )
    kind = forms.ChoiceField(
        label=_("What would you like us to do?"), choices=Kind.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For a correction, what to correct; for a withdrawal of consent, which uses "
            "(for example newsletters, service notices, statistics)."
        ),
    )

    def kind_options(self) -> list[dict]:
        """The request types as the page's radio group lays them out: each
        with its id, label, one-line explanation and whether it is chosen."""
        field = self["kind"]
        chosen = str(field.value() or "")
        return [
            {
                "id": f"{field.auto_id}_{n}",
                "value": value,
                "label": label,
                "help": KIND_HELP.get(value, ""),
                "checked": value == chosen,
            }
            for n, (value, label) in enumerate(self.fields["kind"].choices)
        ]

    def clean_email(self) -> str:
        try:
            return normalise.email(self.cleaned_data["email"])
        except ValueError:
            raise forms.ValidationError(
                _("Enter the email address you can receive mail at."), code="invalid"
            ) from None

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in NEEDS_DETAILS and not (data.get("details") or "").strip():
            self.add_error("details", NEEDS_DETAILS[kind])
        return data


class RecordForm(forms.Form):
    """A request a person made by email, phone, post or in person, recorded
    by a privacy officer (``services.request_record`` checks it all again)."""

    kind = forms.ChoiceField(
        label=_("What the person asks for"), choices=[("", SELECT), *Kind.choices]
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[("", SELECT)] + [(c.value, c.label) for c in RECORDED_CHANNELS],
    )
    received_on = DateField(
        label=_("Received on"),
        help_text=_("The day the request arrived: it is due counting from that day."),
    )
    email = forms.EmailField(
        label=_("The person's email address"),
        max_length=254,
        required=False,
        help_text=_(
            "Replies and the access download are sent here, and the person is told at once "
            "that the request was recorded."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the answers"), choices=[("ja", "日本語"), ("en", "English")]
    )
    postal_address = forms.CharField(
        label=_("Postal address, if the person gave no email address"),
        required=False,
        max_length=POSTAL_ADDRESS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            "Every answer then goes by post: you send it and record it here, and you "
            "download the access file yourself to send it."
        ),
    )
    identity_check = forms.CharField(
        label=_("How you checked who the person is"),
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For example: called back on the number we hold; identity document seen at the "
            "counter; the email came from the address we hold."
        ),
    )
    details = forms.CharField(
        label=_("What the person asked for, in their words"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required for a correction (what to correct) and a withdrawal of consent (which uses)."
        ),
    )
    subject = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if (
            "email" not in self.errors
            and not data.get("email")
            and not (data.get("postal_address") or "").strip()
        ):
            self.add_error("email", ANSWER_ADDRESS_REQUIRED)
        return data

    # The form grid (docs/ui.md): how | when, address | language.
    half_fields = frozenset({"channel", "received_on", "email", "language"})
    fit_fields = frozenset({"received_on"})


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    note = forms.CharField(
        label=_("Note or reason"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing: the person is told the reason."),
    )

    def __init__(self, *args, current: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, Status(value).label) for value in TRANSITIONS.get(current, ())
        ]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"), choices=(), required=False)

    def __init__(self, *args, officers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Unassigned"))] + [
            (str(user.pk), user.label) for user in officers
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the person"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent by email to the address the request came from, in its language."),
    )

    def __init__(self, *args, by_post: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if by_post:
            self.fields["body"].label = _("Letter sent to the person")
            self.fields["body"].help_text = _(
                "The person gave no email address: record the letter here, in their language, "
                "then print it from Replies and send it by post to the address above."
            )


class PolicyForm(forms.Form):
    due_days = forms.IntegerField(
        label=_("Days to answer a request"),
        min_value=1,
        max_value=MAX_DUE_DAYS,
        help_text=_("14 by default; at most 30 (one month)."),
        error_messages={
            "max_value": _("Requests must be answered within 1 to %(limit_value)s days."),
            "min_value": _("Requests must be answered within 1 to 30 days."),
        },
    )
    contact_block = forms.CharField(
        label=_("Contact information on your request page"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who answers requests and how to reach them."),
    )
