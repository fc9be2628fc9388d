"""Forms of the workspace screens. They check shape (lengths, choices);
the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.core import members
from terabox_crm.core.invitations import DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.teams import TEAM_NAME_MAX_LENGTH

NAME_MAX_LENGTH = Workspace._meta.get_field("name").max_length

# A list's empty choice (docs/ui.md, "Forms"): never Django's "---------".
# 「選択してください」 where nothing is a sensible default; where empty means
# nobody or none, say so.
SELECT = pgettext_lazy("empty choice", "Select…")
NOBODY = pgettext_lazy("empty choice", "Unassigned")
NO_TEAM = pgettext_lazy("empty choice", "No team")


class MemberChoiceField(forms.ModelChoiceField):
    """A member of the workspace picked from a list (owner, assignee): the
    list and the refusal of any other value are those of ``core.members``,
    so a tampered value gets the answer the API gives (S7)."""

    default_error_messages = {"invalid_choice": members.NOT_A_MEMBER}

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", SELECT if kwargs.get("required", True) else NOBODY)
        super().__init__(queryset=Membership.objects.none(), **kwargs)

    def limit_to(self, workspace) -> None:
        self.queryset = members.members(workspace)
        self.label_from_instance = lambda membership: membership.user.label


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Workspace name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("Usually your company or team name. You can change it later."),
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=NAME_MAX_LENGTH)
    mfa_required_for_all = forms.BooleanField(
        label=_("Require two-factor authentication for every member"),
        required=False,
        help_text=_(
            "Recommended. If you turn this off, members and viewers may sign in with a "
            "password of at least 15 characters alone. Owners, admins, managers, privacy "
            "officers and auditors always use two-factor."
        ),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=[("ja", _("Japanese")), ("en", _("English"))],
        required=False,  # a form without it leaves the language as it is
        help_text=_(
            "The language of emails to contacts, such as the notice of a change to the "
            "privacy policy. Users get theirs in the language they chose."
        ),
    )
    name_prefix_search = forms.BooleanField(
        label=_("Find names by their first letters as you type (prefix search)"),
        required=False,
        help_text=_(
            "Off by default. When on, the search box suggests 山田 for やま and Smith for "
            "smi. To do so the database stores search terms for the first 2 to 6 letters "
            "of every name: someone who steals the database (a backup, for example) could "
            "then work out many names without the encryption key. Turning it off deletes "
            "those terms."
        ),
    )


class InviteForm(forms.Form):
    """The role select offers only grantable roles; the field accepts every role so
    that a tampered value reaches the service, which refuses and records it."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    # The form grid (docs/ui.md "Forms"): the address on its own line, then
    # role | language of the email.
    half_fields = frozenset({"role", "language"})
    language = forms.ChoiceField(
        label=_("Language of the invitation email"), choices=settings.LANGUAGES
    )

    def __init__(self, *args, grantable: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grantable = grantable
        self.offered_roles = [(value, label) for value, label in Role.choices if value in grantable]
        self.fields["role"].widget.choices = self.offered_roles
        if Role.MEMBER in grantable:
            self.fields["role"].initial = Role.MEMBER


class CapabilitiesForm(forms.Form):
    privacy_officer = forms.BooleanField(label=_("Privacy officer"), required=False)
    auditor = forms.BooleanField(label=_("Auditor"), required=False)


class TeamForm(forms.Form):
    name = forms.CharField(
        label=_("Team name"),
        max_length=TEAM_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MemberTeamForm(forms.Form):
    """The team select of one member: the workspace's teams, or none. A team id
    of another workspace is not a choice, so it is a form error."""

    team = forms.ChoiceField(
        label=_("Team"),
        required=False,
        # Not Django's message, which repeats the value sent back to the sender.
        error_messages={"invalid_choice": _("Choose one of the offered teams.")},
    )

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.fields["team"].choices = [("", _("No team"))] + [
            (pk, team.name) for pk, team in self.teams.items()
        ]

    def clean_team(self):
        return self.teams.get(self.cleaned_data.get("team") or "")


class SignUpForm(forms.Form):
    """Create an account from an invitation. The password policy is the product's
    own (``AUTH_PASSWORD_VALIDATORS``), for this person's role in the workspace."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text=_("How your colleagues will see you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,  # longer than any policy allows; the validator gives the clear message
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, password_subject, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.password_subject = password_subject
        self.fields["password1"].help_text = " ".join(
            str(text) for text in password_validators_help_texts()
        )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            try:
                validate_password(first, self.password_subject)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
