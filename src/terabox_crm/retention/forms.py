"""Forms of the retention pages; the services do the checking (P5)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terabox_crm.retention.models import REASON_MAX_LENGTH, RetentionRule
from terabox_crm.retention.registry import Target

ACTION_LABELS = dict(RetentionRule.ActionChoice.choices)


class RuleForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=_("Keep for (days)"),
        help_text=_("Counted from the date the rule's description names. 365 days is one year."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    action = forms.ChoiceField(label=_("Then"), choices=())
    enabled = forms.BooleanField(label=_("Apply this rule every day"), required=False)

    def __init__(self, *args, target: Target, minimum: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(a, ACTION_LABELS[a]) for a in target.actions]
        if minimum:
            self.fields["days"].help_text = _(
                "At least %(minimum)s days: the legal minimum the operator set."
            ) % {"minimum": minimum}
        # The browser checks what it can; the service decides (and explains).
        self.fields["days"].widget.attrs["min"] = max(1, minimum)

    def add_service_error(self, error: ValidationError) -> None:
        for item in error.error_list:
            field = getattr(error, "field", None) or "days"
            self.add_error(field if field in self.fields else None, item)


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("A case, a claim or an order: why this contact's data must be kept."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
