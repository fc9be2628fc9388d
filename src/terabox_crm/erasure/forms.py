from django import forms
from django.utils.translation import gettext_lazy as _

from terabox_crm.erasure.services import REASON_MAX_LENGTH


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example the request it fulfils. Kept in the audit log under your own key, "
            "never with the person."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def add_service_error(self, error) -> None:
        for item in error.error_list:
            field = getattr(error, "field", None) or ("reason" if "reason" in item.code else None)
            self.add_error(field, item)
