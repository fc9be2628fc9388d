"""The export form and the owners' settings form (fields only: the rules
are the services')."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.exports.models import Format


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.CSV)
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        help_text=_("Why you export. People who may not be used for it are left out."),
    )
    fields = forms.MultipleChoiceField(
        label=pgettext_lazy("export", "Columns"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    recipient = forms.CharField(
        label=_("Third-party recipient"),
        max_length=200,
        required=False,
        help_text=_(
            "Only when the file is handed to another organisation: a record of provision "
            "is kept for each person in it."
        ),
    )

    def __init__(self, *args, purposes, columns, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = purposes
        self.fields["fields"].choices = columns


class SettingsForm(forms.Form):
    approval_threshold = forms.IntegerField(
        label=_("Rows that need a second admin's approval"),
        min_value=1,
        max_value=100_000_000,
        help_text=_("An export with more rows than this waits until another admin approves it."),
    )
