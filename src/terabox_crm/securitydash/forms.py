"""The dashboard's filters (GET): kind and period."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terabox_crm.securitydash import selectors


class DashboardFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All security events")), *selectors.security_kinds()]
        self.fields["period"].choices = [
            (key, label) for key, (label, _count, _unit) in selectors.PERIODS.items()
        ]
        self.fields["period"].initial = selectors.DEFAULT_PERIOD

    def values(self) -> tuple[str, str]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("kind", ""), data.get("period") or selectors.DEFAULT_PERIOD
