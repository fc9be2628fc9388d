"""The form of the API tokens page; ``services.token_create`` does the checking."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terabox_crm.api.models import Scope
from terabox_crm.api.services import DEFAULT_DAYS, MAX_DAYS


def _days_help() -> str:
    # Filled in when shown, in the language of the page: ``_(…) % …`` on a
    # lazy string would translate once, at import, in whatever language was
    # active then.
    return gettext("At most %(max)d days.") % {"max": MAX_DAYS}


FIELD_OF_CODE = {
    "unknown_scope": "scopes",
    "no_scope": "scopes",
    "privacy_scope_denied": "scopes",
    "privacy_scope_needs_step_up": "scopes",
    "name_required": "name",
    "name_too_long": "name",
    "bad_days": "days",
}


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. “Accounting sync”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[Scope.READ],
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        initial=DEFAULT_DAYS,
        help_text=lazy(_days_help, str)(),
    )

    def add_service_error(self, error) -> None:
        for item in error.error_list:
            self.add_error(FIELD_OF_CODE.get(item.code), item)
