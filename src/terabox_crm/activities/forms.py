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
    # What the task is about: ids, resolved and checked by the service
    # (``core.records.readable_many``: a record of another workspace, or one
    # the member may not read, is refused like one that does not exist). Set
    # from a record's "New task" or the form's record finder.
    contact = forms.CharField(required=False, widget=forms.HiddenInput)
    company = forms.CharField(required=False, widget=forms.HiddenInput)
    deal = forms.CharField(required=False, widget=forms.HiddenInput)
    unlink_contact = forms.BooleanField(label=_("Remove the contact"), required=False)
    unlink_company = forms.BooleanField(label=_("Remove the company"), required=False)
    unlink_deal = forms.BooleanField(label=_("Remove the deal"), required=False)

    LINKS = ("contact", "company", "deal")
    # The form grid (docs/ui.md): the two times side by side.
    half_fields = frozenset({"due_at", "remind_at"})

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].limit_to(workspace)

    def link_ids(self) -> dict:
        """The linked ids the form keeps (none where "Remove" is ticked)."""
        values = self.cleaned_data
        return {
            name: None if values.get(f"unlink_{name}") else values.get(name) or None
            for name in self.LINKS
        }


class QuickTaskForm(TaskForm):
    """The task list's quick add (docs/ui.md "Task quick add"): the same
    fields and rules as the full form, laid out as one line — title, due,
    assignee, Add — with the reminder and notes behind "More options"."""

    LINE = ("title", "due_at", "assignee")
    MORE = ("remind_at", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["placeholder"] = _("Task title")
        self.fields["notes"].widget.attrs["rows"] = 3

    def line_fields(self):
        return [self[name] for name in self.LINE]

    def more_fields(self):
        return [self[name] for name in self.MORE]

    def more_has_errors(self) -> bool:
        return any(self[name].errors for name in self.MORE)
