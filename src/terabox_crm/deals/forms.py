from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.contacts.forms import TagChipFields
from terabox_crm.core.dates import DateField
from terabox_crm.core.forms import MemberChoiceField
from terabox_crm.deals.models import CURRENCIES, NAME_MAX_LENGTH, Stage


class DealForm(TagChipFields):
    name = forms.CharField(label=_("Deal name"), max_length=NAME_MAX_LENGTH)
    # No empty choice: a new deal starts in the pipeline's first stage.
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.none(), empty_label=None
    )
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="JPY")
    expected_close_date = DateField(label=_("Expected close date"), required=False)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty to use the stage's probability."),
    )
    # The company and contact the deal is for: ids, resolved and checked by the
    # service (``core.records.readable_many``); set from a contact or company
    # page's "New deal".
    company = forms.CharField(required=False, widget=forms.HiddenInput)
    contact = forms.CharField(required=False, widget=forms.HiddenInput)
    unlink_company = forms.BooleanField(label=_("Remove the company"), required=False)
    unlink_contact = forms.BooleanField(label=_("Remove the contact"), required=False)
    owner = MemberChoiceField(label=pgettext_lazy("record owner", "Owner"))
    # The form grid (docs/ui.md): pairs side by side, short values fitted.
    half_fields = frozenset(
        {"stage", "owner", "amount", "currency", "expected_close_date", "probability"}
    )
    fit_fields = frozenset({"amount", "probability"})
    field_order = [
        "name",
        "stage",
        "owner",
        "amount",
        "currency",
        "expected_close_date",
        "probability",
    ]

    def __init__(self, *args, workspace, pipeline=None, **kwargs):
        super().__init__(*args, **kwargs)
        stages = Stage.objects.select_related("pipeline").order_by("pipeline__position", "position")
        if pipeline is not None:
            stages = stages.filter(pipeline=pipeline)
        self.fields["stage"].queryset = stages
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} — {s.name}"
        self.fields["owner"].limit_to(workspace)
        # The tag chip input, the same as on contacts and companies.
        self.set_tag_choices(workspace.pk)
