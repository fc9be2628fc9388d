"""Forms of the privacy pages; the services do the checking (P2, P7)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terabox_crm.core.dates import DateTimeField
from terabox_crm.privacy import selectors
from terabox_crm.privacy.models import (
    EVIDENCE_CONTENT_TYPES,
    ConsentChannel,
    ConsentKind,
    LawfulBasis,
)


class ServiceErrors:
    """Show a service's refusal under the field it names (else above the form)."""

    def add_service_error(self, error: ValidationError) -> None:
        field = getattr(error, "field", None)
        if field not in self.fields:
            field = None
        self.add_error(field, error)


class ConsentForm(ServiceErrors, forms.Form):
    kind = forms.ChoiceField(
        label=_("What the person did"),
        choices=ConsentKind.choices,
        widget=forms.RadioSelect,
        initial=ConsentKind.GRANT,
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    channel = forms.ChoiceField(label=_("How they told you"), choices=ConsentChannel.choices)
    occurred_at = DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        help_text=_("What they said or signed, where it is kept (a form number, a call note)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_(
            "A PDF, PNG, JPEG, plain-text or email file of at most 5 MB, stored encrypted."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EVIDENCE_CONTENT_TYPES)}),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            (p.code, p.name) for p in selectors.purposes(workspace) if p.needs_consent
        ] + [(p.code, p.name) for p in selectors.purposes(workspace) if not p.needs_consent]


class RestrictionForm(ServiceErrors, forms.Form):
    requested_by = forms.CharField(
        label=_("Who asked"),
        max_length=200,
        help_text=_("The person themselves, their representative, a regulator …"),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LiftForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label=_("Why the restriction is lifted"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PurposeForm(ServiceErrors, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lowercase letters, digits, - and _; used by the API and webhooks."),
    )
    name_ja = forms.CharField(label=_("Name (Japanese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis"),
        choices=LawfulBasis.choices,
        help_text=_("With consent as the basis, only people who consented are reached."),
    )
    description_ja = forms.CharField(
        label=_("Description (Japanese)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
