"""Workspace screens: create, settings, switch, members and invitations, leave,
and the public invite page.

Thin by design: each view checks the policy (``permission_required``), fetches
objects through the scoped managers (another workspace's id is a 404), calls a
service and renders. A refused service call re-renders the page with the
service's translated message and HTTP status; nothing was changed.

Two views do not ask ``policy.can``, on purpose: creating a workspace (a new
tenant, not an action inside one; any signed-in user may) and the invite page
(public: its token is the credential, and accepting needs the invited address).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.accounts import selectors as account_selectors
from terabox_crm.accounts import signin, tracking
from terabox_crm.accounts.models import User, email_index_of
from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core import invitations, members, policy, selectors, teams, workspaces
from terabox_crm.core.decorators import permission_required
from terabox_crm.core.forms import (
    CapabilitiesForm,
    InviteForm,
    MemberTeamForm,
    SignUpForm,
    TeamForm,
    WorkspaceCreateForm,
    WorkspaceSettingsForm,
)
from terabox_crm.core.middleware import WorkspaceMiddleware
from terabox_crm.core.models import Invitation, Membership, RecordVisibility, Team
from terabox_crm.core.roles import Capability, Role
from terabox_crm.refusals import Refusal


def _open_workspace(request, workspace) -> None:
    request.session[WorkspaceMiddleware.SESSION_KEY] = str(workspace.pk)


# --- Workspaces -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def workspace_create(request):
    form = WorkspaceCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                workspace = workspaces.workspace_create(
                    actor=request.user, name=form.cleaned_data["name"]
                )
            except Refusal as exc:
                form.add_error("name", exc)
                status = exc.status
            else:
                _open_workspace(request, workspace)
                messages.success(
                    request, _("Workspace created. You are its owner: invite your colleagues.")
                )
                return redirect("core:members")
        else:
            status = 400
    return render(request, "core/create.html", {"form": form}, status=status)


@login_required
@require_POST
def workspace_switch(request):
    wanted = request.POST.get("workspace", "")
    membership = account_selectors.membership_for(request.user, wanted)
    if membership is None or str(membership.workspace_id) != wanted:
        raise Http404
    _open_workspace(request, membership.workspace)
    return redirect("web:home")


@permission_required("workspace.settings")
@require_http_methods(["GET", "HEAD", "POST"])
def workspace_settings(request):
    workspace = request.workspace
    if request.method == "POST":
        form = WorkspaceSettingsForm(request.POST)
        if form.is_valid():
            relaxing = (
                workspace.mfa_required_for_all and not form.cleaned_data["mfa_required_for_all"]
            ) or (not workspace.name_prefix_search and form.cleaned_data["name_prefix_search"])
            if relaxing:
                # Letting members and viewers in without two-factor, or storing
                # prefix terms of names, is a security change: it needs a fresh
                # step-up (S4).
                return step_up_required(_save_settings)(request, form)
            return _save_settings(request, form)
        status = 400
    else:
        form = WorkspaceSettingsForm(
            initial={
                "name": workspace.name,
                "mfa_required_for_all": workspace.mfa_required_for_all,
                "name_prefix_search": workspace.name_prefix_search,
                "default_language": workspace.default_language,
            }
        )
        status = 200
    return render(request, "core/settings.html", _settings_context(workspace, form), status=status)


def _settings_context(workspace, form) -> dict:
    progress = workspace.name_prefix_progress or {}
    return {
        "form": form,
        "prefix_job_pending": bool(progress) and not progress.get("done"),
        "prefix_job_rows": progress.get("rows", 0),
    }


def _save_settings(request, form):
    try:
        workspaces.workspace_update_settings(
            membership=request.membership,
            name=form.cleaned_data["name"],
            mfa_required_for_all=form.cleaned_data["mfa_required_for_all"],
            name_prefix_search=form.cleaned_data["name_prefix_search"],
            default_language=form.cleaned_data["default_language"] or None,
        )
    except Refusal as exc:
        form.add_error(None, exc)
        return render(
            request,
            "core/settings.html",
            _settings_context(request.workspace, form),
            status=exc.status,
        )
    messages.success(request, _("Workspace settings saved."))
    return redirect("core:settings")


# --- Members ----------------------------------------------------------------------------


def _member_rows(me: Membership, members: list[Membership]) -> list[dict]:
    enrolled = selectors.two_factor_enrolled([m.user_id for m in members])
    owners = sum(1 for m in members if m.role == Role.OWNER)
    grantable = policy.grantable_roles(me)
    rows = []
    for member in members:
        can_change = policy.can_change_member(me, member)
        last_owner = member.role == Role.OWNER and owners <= 1
        rows.append(
            {
                "membership": member,
                "is_me": member.pk == me.pk,
                "initials": selectors.initials(member.user.label),
                "two_factor": member.user_id in enrolled,
                "can_change_role": can_change and not last_owner,
                "role_choices": [(value, Role(value).label) for value in grantable],
                "can_change_capabilities": can_change
                and all(policy.can_grant_capability(me, cap) for cap in Capability.values),
                "can_remove": can_change and not last_owner and member.pk != me.pk,
                "can_assign_team": policy.can_assign_team(me, member),
                "last_owner": last_owner,
            }
        )
    return rows


def _can_edit_member(me: Membership, row: dict, *, manage: bool, teams: list) -> bool:
    """Whether the member's page offers a form (else it only shows them)."""
    if manage and (row["can_change_role"] or row["can_change_capabilities"]):
        return True
    return bool(teams) and row["can_assign_team"] and policy.can(me, "teams.manage")


def _members_page(request, *, invite_form=None, error: Refusal | None = None, status=200):
    me = request.membership
    workspace = request.workspace
    members = selectors.members_of(workspace)
    manage = policy.can(me, "members.manage")
    grantable = policy.grantable_roles(me)
    if invite_form is None and grantable:
        invite_form = InviteForm(
            grantable=grantable, initial={"language": request.LANGUAGE_CODE or "ja"}
        )
    now = timezone.now()
    invitations = []
    if manage:
        for invitation in selectors.pending_invitations(workspace):
            invitations.append(
                {
                    "invitation": invitation,
                    "expired": invitation.is_expired(now),
                    "can_act": policy.can_grant_role(me, invitation.role),
                }
            )
    rows = _member_rows(me, members)
    teams = selectors.teams_of(workspace) if policy.can(me, "teams.view") else []
    for row in rows:
        row["can_edit"] = _can_edit_member(me, row, manage=manage, teams=teams)
    context = {
        "rows": rows,
        "teams": teams,
        "manage_teams": policy.can(me, "teams.manage"),
        "show_two_factor": bool(rows),
        "manage": manage,
        "invitations": invitations,
        "invite_form": invite_form if grantable else None,
        "invite_days": settings.INVITE_VALID_FOR.days,
        "error": error,
        "can_leave": policy.can(me, "workspace.leave")
        and not (me.role == Role.OWNER and selectors.owner_count(workspace) <= 1),
        "is_last_owner": me.role == Role.OWNER and selectors.owner_count(workspace) <= 1,
    }
    return render(request, "core/members.html", context, status=status)


@permission_required("members.view")
@require_safe
def member_list(request):
    return _members_page(request)


@permission_required("members.manage")
@require_POST
@step_up_required
def member_invite(request):
    me = request.membership
    form = InviteForm(request.POST, grantable=policy.grantable_roles(me))
    if not form.is_valid():
        return _members_page(request, invite_form=form, status=400)
    try:
        invitations.member_invite(
            membership=request.membership,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            language=form.cleaned_data["language"],
        )
    except Refusal as exc:
        return _members_page(request, invite_form=form, error=exc, status=exc.status)
    days = settings.INVITE_VALID_FOR.days
    messages.success(
        request,
        ngettext(
            "Invitation sent. The link is valid for %(days)d day.",
            "Invitation sent. The link is valid for %(days)d days.",
            days,
        )
        % {"days": days},
    )
    return redirect("core:members")


@permission_required("members.manage")
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = get_object_or_404(Invitation.objects.select_related("workspace"), pk=invitation_id)
    try:
        invitations.invitation_revoke(membership=request.membership, invitation=invitation)
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(request, _("Invitation withdrawn. Its link no longer works."))
    return redirect("core:members")


@permission_required("members.manage")
@require_POST
def invitation_resend(request, invitation_id):
    invitation = get_object_or_404(Invitation.objects.select_related("workspace"), pk=invitation_id)
    try:
        invitations.invitation_resend(membership=request.membership, invitation=invitation)
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(
        request,
        _("Invitation sent again with a new link. The previous link no longer works."),
    )
    return redirect("core:members")


def _target_member(membership_id) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("workspace", "user"), pk=membership_id
    )


@permission_required("members.view")
@require_safe
def member_detail(request, membership_id):
    """One member: who they are, and — for those who may change them — their
    role, team and capabilities on a form card, and their removal in the
    page's ⋯ menu (docs/ui.md "Settings pages"). The forms post to the same
    addresses as before; each change asks for step-up and is audited there."""
    target = _target_member(membership_id)
    if target.workspace_id != request.workspace.pk:
        raise Http404
    me = request.membership
    everyone = selectors.members_of(request.workspace)
    row = next((r for r in _member_rows(me, everyone) if r["membership"].pk == target.pk), None)
    if row is None:
        raise Http404
    manage = policy.can(me, "members.manage")
    teams_here = selectors.teams_of(request.workspace) if policy.can(me, "teams.view") else []
    context = {
        "row": row,
        "m": target,
        "manage": manage,
        "manage_teams": policy.can(me, "teams.manage"),
        "teams": teams_here,
        "can_edit": _can_edit_member(me, row, manage=manage, teams=teams_here),
    }
    return render(request, "core/member_detail.html", context)


@permission_required("members.manage")
@require_POST
@step_up_required
def member_change_role(request, membership_id):
    target = _target_member(membership_id)
    try:
        members.member_change_role(
            membership=request.membership, target=target, role=request.POST.get("role", "")
        )
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(request, _("Role changed."))
    return redirect("core:members")


@permission_required("members.manage")
@require_POST
@step_up_required
def member_set_capabilities(request, membership_id):
    target = _target_member(membership_id)
    form = CapabilitiesForm(request.POST)
    form.is_valid()  # two checkboxes: absent means off, so a form is never invalid
    try:
        members.member_set_capabilities(
            membership=request.membership,
            target=target,
            privacy_officer=form.cleaned_data.get("privacy_officer", False),
            auditor=form.cleaned_data.get("auditor", False),
        )
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(request, _("Capabilities saved."))
    return redirect("core:members")


@permission_required("members.manage")
@require_POST
@step_up_required
def member_remove(request, membership_id):
    target = _target_member(membership_id)
    if target.user_id == request.user.pk:
        # Leaving has its own button and rules; this one removes other people.
        raise Http404
    try:
        members.member_remove(membership=request.membership, target=target)
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(request, _("Member removed. Their account still exists."))
    return redirect("core:members")


@permission_required("teams.manage")
@require_POST
@step_up_required
def member_set_team(request, membership_id):
    target = _target_member(membership_id)
    form = MemberTeamForm(request.POST, teams=selectors.teams_of(request.workspace))
    if not form.is_valid():
        error = Refusal(form.errors["team"][0], code="invalid_team", status=400)
        return _members_page(request, error=error, status=400)
    try:
        teams.member_set_team(
            membership=request.membership, target=target, team=form.cleaned_data["team"]
        )
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    messages.success(request, _("Team saved."))
    return redirect("core:members")


@permission_required("workspace.leave")
@require_POST
def workspace_leave(request):
    try:
        members.member_remove(membership=request.membership, target=request.membership)
    except Refusal as exc:
        return _members_page(request, error=exc, status=exc.status)
    request.session.pop(WorkspaceMiddleware.SESSION_KEY, None)
    messages.success(request, _("You have left the workspace."))
    return redirect("web:home")


# --- Teams and record visibility ---------------------------------------------------------


def _visibility_options(current: str) -> list[dict]:
    """The two record-visibility choices with what each means, for the teams page."""
    explanations = {
        RecordVisibility.WORKSPACE: _(
            "Everybody in the workspace, viewers included, reads every contact, company, "
            "deal, task and ticket. Members and managers still edit only the records they "
            "own or that belong to their team."
        ),
        RecordVisibility.TEAM: _(
            "Owners and admins read every record. Managers, members and viewers read only "
            "the records they own and those that belong to their team; someone without a "
            "team reads only their own records."
        ),
    }
    return [
        {
            "value": value,
            "label": label,
            "explanation": explanations[value],
            "current": value == current,
        }
        for value, label in RecordVisibility.choices
    ]


def _teams_page(request, *, create_form=None, error: Refusal | None = None, status=200):
    me = request.membership
    workspace = request.workspace
    manage = policy.can(me, "teams.manage")
    rows = selectors.teams_of(workspace)
    # Each team's members as chips (avatar letters and name), in one query.
    people: dict = {}
    for member in selectors.members_of(workspace):
        if member.team_id:
            people.setdefault(member.team_id, []).append(
                {"label": member.user.label, "initials": selectors.initials(member.user.label)}
            )
    renaming = request.GET.get("rename", "")
    for team in rows:
        team.people = people.get(team.pk, [])
        team.renaming = manage and renaming == str(team.pk)
        team.rename_url = f"{reverse('core:teams')}?rename={team.pk}#team-{team.pk}"
    context = {
        "teams": rows,
        "manage": manage,
        "create_form": create_form or (TeamForm() if manage else None),
        "max_teams": teams.MAX_TEAMS,
        "error": error,
        "visibility_options": _visibility_options(workspace.record_visibility),
        "change_visibility": policy.can(me, "workspace.record_visibility"),
    }
    return render(request, "core/teams.html", context, status=status)


def _target_team(team_id) -> Team:
    return get_object_or_404(Team.objects.select_related("workspace"), pk=team_id)


@permission_required("teams.view")
@require_safe
def team_list(request):
    return _teams_page(request)


@permission_required("teams.manage")
@require_POST
def team_create(request):
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _teams_page(request, create_form=form, status=400)
    try:
        team = teams.team_create(membership=request.membership, name=form.cleaned_data["name"])
    except Refusal as exc:
        form.add_error("name", exc)
        return _teams_page(request, create_form=form, status=exc.status)
    messages.success(
        request,
        _("Team %(name)s created. Put members into it on the Members page.") % {"name": team.name},
    )
    return redirect("core:teams")


@permission_required("teams.manage")
@require_POST
def team_rename(request, team_id):
    team = _target_team(team_id)
    form = TeamForm(request.POST)
    if not form.is_valid():
        error = Refusal(form.errors["name"][0], code="invalid_name", status=400)
        return _teams_page(request, error=error, status=400)
    try:
        teams.team_rename(membership=request.membership, team=team, name=form.cleaned_data["name"])
    except Refusal as exc:
        return _teams_page(request, error=exc, status=exc.status)
    messages.success(request, _("Team renamed."))
    return redirect("core:teams")


@permission_required("teams.manage")
@require_http_methods(["GET", "HEAD", "POST"])
def team_delete(request, team_id):
    """GET: what deleting the team does, and a button; POST: delete it."""
    team = _target_team(team_id)
    if request.method == "GET":
        context = {
            "team": team,
            "member_count": Membership.objects.filter(team=team).count(),
            "team_visibility": request.workspace.record_visibility == RecordVisibility.TEAM,
        }
        return render(request, "core/team_delete.html", context)
    try:
        members = teams.team_delete(membership=request.membership, team=team)
    except Refusal as exc:
        return _teams_page(request, error=exc, status=exc.status)
    messages.success(
        request,
        ngettext(
            "Team deleted. Its %(count)d member has no team now.",
            "Team deleted. Its %(count)d members have no team now.",
            members,
        )
        % {"count": members},
    )
    return redirect("core:teams")


@permission_required("workspace.record_visibility")
@require_POST
@step_up_required
def record_visibility(request):
    # The raw value goes to the service, which refuses (and records) a tampered one.
    try:
        teams.workspace_set_record_visibility(
            membership=request.membership,
            visibility=request.POST.get("record_visibility", ""),
        )
    except Refusal as exc:
        return _teams_page(request, error=exc, status=exc.status)
    messages.success(request, _("Record visibility saved."))
    return redirect("core:teams")


# --- The invite page (public) --------------------------------------------------------------


def _invite_page(request, token, invitation, *, form=None, error=None, status=200):
    state = selectors.invitation_state(invitation) if invitation else "unknown"
    context = {
        "token": token,
        "invitation": invitation,
        "state": state,
        "error": error,
        "form": None,
        "mode": "closed",
    }
    if state == "pending":
        user = request.user
        if user.is_authenticated:
            if email_index_of(user.email) != invitation.email_index:
                context["mode"] = "wrong_email"
                status = max(status, 403)
            elif selectors.membership_in(invitation.workspace, user) is not None:
                context["mode"] = "already_member"
            else:
                context["mode"] = "accept"
        elif User.objects.filter(email_index=invitation.email_index).exists():
            context["mode"] = "sign_in"
            context["sign_in_url"] = (
                reverse(settings.LOGIN_URL) + "?" + urlencode({"next": request.path})
            )
        else:
            context["mode"] = "sign_up"
            context["form"] = form or _sign_up_form(invitation)
    elif state == "unknown":
        status = 404
    else:
        status = 410
    return render(request, "core/invite_accept.html", context, status=status)


def _sign_up_form(invitation, data=None) -> SignUpForm:
    subject = invitations.password_subject_for(
        User(email=invitation.email), invitation.workspace, invitation.role
    )
    return SignUpForm(data, password_subject=subject)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invite_accept(request, token):
    invitation = selectors.invitation_by_token(token)
    if request.method == "GET":
        return _invite_page(request, token, invitation)
    if request.user.is_authenticated:
        try:
            membership = invitations.invitation_accept(actor=request.user, token=token)
        except Refusal as exc:
            return _invite_page(request, token, invitation, error=exc, status=exc.status)
        _open_workspace(request, membership.workspace)
        messages.success(
            request, _("Welcome to %(workspace)s.") % {"workspace": membership.workspace.name}
        )
        return redirect("web:home")
    try:
        # Refuses (and records) unknown, expired, revoked and used links.
        invitation = invitations.invitation_check(token=token)
    except Refusal as exc:
        return _invite_page(request, token, invitation, error=exc, status=exc.status)
    form = _sign_up_form(invitation, request.POST)
    if not form.is_valid():
        return _invite_page(request, token, invitation, form=form, status=400)
    try:
        membership = invitations.invitation_sign_up(
            token=token,
            display_name=form.cleaned_data["display_name"],
            password=form.cleaned_data["password1"],
            language=request.LANGUAGE_CODE,
        )
    except Refusal as exc:
        return _invite_page(request, token, invitation, form=form, error=exc, status=exc.status)
    except ValidationError as exc:
        form.add_error("password1", exc)
        return _invite_page(request, token, invitation, form=form, status=400)
    # The accounts app's own sign-in completion: session rotation, session and
    # device tracking, the sign-in audit event. Where two-factor is required,
    # its middleware then sends the new user to enrolment before anything else.
    outcome = signin.complete(
        request, membership.user, method="password", next_url=reverse("web:home")
    )
    _open_workspace(request, membership.workspace)
    messages.success(
        request, _("Welcome to %(workspace)s.") % {"workspace": membership.workspace.name}
    )
    response = redirect(outcome.next_url or reverse("web:home"))
    if outcome.device_cookie:
        tracking.set_device_cookie(response, outcome.device_cookie)
    return response
