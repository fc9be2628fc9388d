from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.contacts.forms import TagChipFields
from terabox_crm.core.forms import MemberChoiceField
from terabox_crm.support.models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Priority, Status


class TicketForm(TagChipFields):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX_LENGTH)
    description = forms.CharField(
        label=pgettext_lazy("ticket", "Description"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    assignee = MemberChoiceField(label=_("Assignee"), required=False)
    # The requester: ids, resolved and checked by the service
    # (``core.records.readable_many``); set from a contact's or company's
    # "New ticket" or the form's requester finder.
    contact = forms.CharField(required=False, widget=forms.HiddenInput)
    company = forms.CharField(required=False, widget=forms.HiddenInput)

    # The form grid (docs/ui.md): priority and assignee side by side; the
    # tag chips (docs/ui.md "Tags are chips") after them.
    half_fields = frozenset({"priority", "assignee"})
    field_order = ["subject", "description", "priority", "assignee", "tags", "new_tags"]

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].limit_to(workspace)
        self.set_tag_choices(workspace.pk)


class RequesterForm(forms.Form):
    """A ticket's requester as posted from its card: ids (empty: nobody);
    the service decides whether this member may link them."""

    contact = forms.UUIDField(required=False)
    company = forms.UUIDField(required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=BODY_MAX_LENGTH, widget=forms.Textarea)
    internal = forms.BooleanField(
        label=_("Internal note (not sent to the customer)"), required=False
    )


class TicketChangeForm(TagChipFields):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    assignee = MemberChoiceField(label=_("Assignee"), required=False)
    field_order = ["status", "priority", "assignee", "tags", "new_tags"]

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].limit_to(workspace)
        self.set_tag_choices(workspace.pk)
