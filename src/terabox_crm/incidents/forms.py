from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.core.dates import DateTimeField
from terabox_crm.core.forms import MemberChoiceField
from terabox_crm.incidents import clocks
from terabox_crm.incidents.models import (
    NOTICE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Severity,
    Source,
    Status,
)
from terabox_crm.inventory import Category


def _text(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX_LENGTH,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    severity = forms.ChoiceField(
        label=pgettext_lazy("incident", "Severity"), choices=Severity.choices
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.OPEN)
    detected_at = DateTimeField(label=_("Detected at"))
    owner = MemberChoiceField(label=_("Handled by"), required=False)
    source = forms.ChoiceField(label=_("What was compromised"), choices=Source.choices)
    source_user = MemberChoiceField(
        label=_("Compromised account"),
        required=False,
        help_text=_(
            "Whose account (or whose API tokens) was misused: who is affected is read from what it did."
        ),
    )
    window_start = DateTimeField(label=_("Misused from"), required=False)
    window_end = DateTimeField(label=_("Misused until"), required=False)
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of data"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = _text(pgettext_lazy("incident", "What happened"))
    systems_affected = _text(_("Systems affected"))
    cause = _text(_("Cause"))
    secondary_risk = _text(_("Risk of secondary damage"))
    actions_taken = _text(_("Actions taken"))
    measures = _text(_("Measures to prevent recurrence"))
    malicious = forms.BooleanField(
        label=_(
            "Caused with malicious intent (unauthorised access, theft): the final report is due in 60 days"
        ),
        required=False,
    )
    appi_applies = forms.BooleanField(label=_("Report to the PPC (APPI)"), required=False)
    gdpr_applies = forms.BooleanField(
        label=_("Report to the supervisory authority (GDPR, 72 hours)"), required=False
    )
    preliminary_days = forms.IntegerField(
        label=_("Days for the APPI preliminary report"),
        min_value=clocks.PRELIMINARY_MIN,
        max_value=clocks.PRELIMINARY_MAX,
    )
    preliminary_reported_at = DateTimeField(
        label=_("Preliminary report submitted at"), required=False
    )
    final_reported_at = DateTimeField(label=_("Final report submitted at"), required=False)
    gdpr_reported_at = DateTimeField(label=_("GDPR notification submitted at"), required=False)
    notice_title_ja = forms.CharField(
        label=_("Public notice title (Japanese)"), max_length=TITLE_MAX_LENGTH, required=False
    )
    notice_body_ja = forms.CharField(
        label=_("Public notice (Japanese)"),
        max_length=NOTICE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    notice_title_en = forms.CharField(
        label=_("Public notice title (English)"), max_length=TITLE_MAX_LENGTH, required=False
    )
    notice_body_en = forms.CharField(
        label=_("Public notice (English)"),
        max_length=NOTICE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown on the public notices page and in the emails to the people affected: write no personal data."
        ),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].limit_to(workspace)
        self.fields["source_user"].limit_to(workspace)

    def values(self) -> dict:
        """The cleaned data as the service takes it (users, not memberships)."""
        values = dict(self.cleaned_data)
        for name in ("owner", "source_user"):
            membership = values.get(name)
            values[name] = membership.user if membership is not None else None
        values["data_categories"] = list(values.get("data_categories") or [])
        return values


class TimelineForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("incident", "What happened"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    at = DateTimeField(label=_("When"), required=False)
