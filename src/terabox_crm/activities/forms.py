from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Activity
from terabox_crm.core.dates import DateTimeField
from terabox_crm.core.forms import MemberChoiceField


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=TITLE_MAX_LENGTH, required=False)
    body = forms.CharField(
        label=_("Details"), max_length=BODY_MAX_LENGTH, required=False, widget=forms.Textarea
    )
    occurred_at = DateTimeField(label=_("When"))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=24 * 60, required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        )
        super().__init__(*args, **kwargs)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    due_at = DateTimeField(label=_("Due"))
    remind_at = DateTimeField(
        label=_("Remind me at"),
        required=False,
        help_text=_("An in-app notification and an email at this time."),
    )
    assignee = MemberChoiceField(label=_("Assignee"))
    notes = forms.CharField(
        label=_("Notes"), max_length=BODY_MAX_LENGTH, required=False, widget=forms.Textarea
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].limit_to(workspace)
