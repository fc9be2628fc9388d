"""The upload form and the mapping form (fields only: the rules are the services')."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terabox_crm.core.dates import DateTextInput
from terabox_crm.imports import columns
from terabox_crm.imports.models import OnDuplicate, Resource, Source


class UploadForm(forms.Form):
    resource = forms.ChoiceField(label=_("Records"), choices=Resource.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS, as Excel saves it) or an Excel workbook (.xlsx). "
            "The first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class MappingForm(forms.Form):
    """One choice per column of the file, then where the data came from and
    what to do with a record that exists."""

    # Where the data came from and, from a third party, the record of its
    # receipt (P4): one fieldset on the page, the receipt's fields shown
    # only when the source is a third party (docs/ui.md "Imports").
    source = forms.ChoiceField(
        label=_("Where the people in the file come from"),
        choices=Source.choices,
        widget=forms.RadioSelect,
        help_text=_("It becomes the source of each contact the import creates."),
    )
    provider = forms.CharField(
        label=_("Third party"),
        max_length=200,
        required=False,
        help_text=_("The company or person who gave you the file."),
    )
    obtained_how = forms.CharField(
        label=_("How the third party obtained the data"),
        max_length=2000,
        required=False,
        help_text=_("For example: at their seminar, with each person's consent to share it."),
    )
    consent_by = forms.CharField(
        label=_("Who consented to the sharing"), max_length=200, required=False
    )
    consent_at = forms.CharField(
        label=_("Date of the consent"),
        required=False,
        # Read by the import service as people type it (2026/4/1, 2026年4月1日).
        widget=DateTextInput,
    )
    consent_evidence = forms.CharField(
        label=_("Evidence of the consent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the signed form or the email is kept, or its reference number."),
    )
    on_duplicate = forms.ChoiceField(
        label=_("When a record with the same email address or company name exists"),
        choices=OnDuplicate.choices,
        widget=forms.RadioSelect,
    )
    half_fields = ("consent_by", "consent_at")

    def __init__(self, *args, resource: str, headers: list[str], mapping: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Do not import"))] + [
            (field.key, field.label) for field in columns.fields_of(resource)
        ]
        self.column_names = []
        for position, header in enumerate(headers):
            name = f"column_{position}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": position + 1},
                choices=choices,
                required=False,
                initial=mapping[position] if position < len(mapping) else "",
            )
            self.column_names.append(name)
        if resource != Resource.CONTACTS:
            for name in ("source", "provider", "obtained_how", "consent_by", "consent_at"):
                del self.fields[name]
            del self.fields["consent_evidence"]

    def column_fields(self):
        return [self[name] for name in self.column_names]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for name in self.column_names]

    def receipt(self) -> dict:
        names = ("provider", "obtained_how", "consent_by", "consent_at", "consent_evidence")
        return {name: self.cleaned_data.get(name, "") for name in names}
