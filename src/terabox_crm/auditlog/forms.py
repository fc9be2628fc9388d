"""The audit trail's filter form (GET)."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.auditlog import selectors
from terabox_crm.core.dates import DateField


class TrailFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Event type"), required=False)
    security = forms.BooleanField(label=_("Security events only"), required=False)
    actor = forms.ChoiceField(label=_("Who"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64, strip=True)
    date_from = DateField(label=pgettext_lazy("date range", "From"), required=False)
    date_to = DateField(label=_("To"), required=False)
    # The keyset cursor, carried by the "Older" link (not rendered in the form).
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, workspace, security_view: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        types = selectors.event_type_choices()
        if security_view:
            # The security page lists security events only: no checkbox, and only their types.
            types = [(action, label) for action, label in types if action.startswith("security.")]
            del self.fields["security"]
        self.fields["action"].choices = [("", _("All event types")), *types]
        self.fields["actor"].choices = [
            ("", _("Anyone")),
            *selectors.member_choices(workspace),
        ]
        self.security_view = security_view

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def filters(self) -> selectors.TrailFilters:
        data = self.cleaned_data if self.is_bound else {}
        actor = data.get("actor")
        return selectors.TrailFilters(
            action=data.get("action", ""),
            security_only=self.security_view or bool(data.get("security")),
            actor_id=uuid.UUID(actor) if actor else None,
            object_id=data.get("object_id", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def cursor(self) -> int | None:
        """The keyset cursor: show events older than this seq."""
        return self.cleaned_data.get("before") if self.is_bound else None
