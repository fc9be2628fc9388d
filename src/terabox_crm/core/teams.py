"""Writes about teams and the workspace's record visibility (S6).

Every service is keyword-only and takes the acting ``membership`` (and, to
move a member, the ``target`` member). It checks the permission policy itself
through the one guard (``core.guards``) — views check too, but the API, the
CLI and jobs call the same functions — then changes the database and records
its audit event in one transaction (``@transaction.atomic``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.core import guards, policy
from terabox_crm.core.members import _locked_target
from terabox_crm.core.models import Membership, RecordVisibility, Team, Workspace
from terabox_crm.refusals import Refusal
from terabox_crm.refusals import recorded_after_rollback as _refusals_recorded

# --- Teams and record visibility ------------------------------------------------------
#
# A team groups members; CRM records (contacts, companies, deals, tasks,
# tickets) may belong to one. Members and managers edit the records they own or
# that belong to their team; with ``record_visibility == "team"`` they also read
# only those (``core.records``). Creating, renaming and deleting teams and
# moving members between them need ``teams.manage``; choosing the visibility
# needs ``workspace.record_visibility`` (owners) and, in the view, a step-up.

TEAM_NAME_MAX_LENGTH = Team._meta.get_field("name").max_length
# Every member row of the members page offers every team: a cap keeps that page
# (members x teams options) small.
MAX_TEAMS = 100


def _clean_team_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Refusal(_("Enter a name for the team."), code="team_name_required", status=400)
    if len(cleaned) > TEAM_NAME_MAX_LENGTH:
        raise Refusal(
            _("Use at most %(max)d characters for the name."),
            code="team_name_too_long",
            status=400,
            params={"max": TEAM_NAME_MAX_LENGTH},
        )
    return cleaned


def _team_name_taken() -> Refusal:
    return Refusal(
        _("A team with this name already exists in this workspace."),
        code="team_name_taken",
        status=409,
    )


def _lock_workspace(workspace: Workspace) -> Workspace:
    """Lock the workspace row: team creations and renames in one workspace then
    run one after the other, so the name check and the cap hold."""
    return Workspace.objects.select_for_update(of=("self",)).get(pk=workspace.pk)


def _team_unknown(membership: Membership, *, attempted: str, obj=None) -> Refusal:
    return guards.refusal(
        membership,
        attempted,
        obj,
        message=_("This team does not exist."),
        code="team_unknown",
        status=404,
    )


def _locked_team(team: Team, *, membership: Membership, attempted: str) -> Team:
    """The team, locked, as it is now: a team deleted meanwhile is a 404."""
    with scope(workspace=team.workspace):
        found = (
            Team.objects.select_for_update(of=("self",))
            .select_related("workspace")
            .filter(pk=team.pk)
            .first()
        )
    if found is None:
        raise _team_unknown(membership, attempted=attempted)
    return found


def _require_teams_manage(membership: Membership, obj, *, attempted: str) -> None:
    guards.require(membership, attempted, obj, permission="teams.manage", code="permission_denied")


def _save_team(team: Team, **kwargs) -> None:
    """Save under a savepoint, so that the unique constraint losing a race
    becomes the same translated refusal as the check before it."""
    try:
        with transaction.atomic():
            team.save(**kwargs)
    except IntegrityError:
        raise _team_name_taken() from None


@_refusals_recorded
@transaction.atomic
def team_create(*, membership: Membership, name: str) -> Team:
    """Create a team in the acting member's workspace. Names are unique in the
    workspace, compared without case."""
    attempted = "core.team.create"
    membership = guards.acting_member(membership, membership.workspace, action=attempted)
    workspace = membership.workspace
    _require_teams_manage(membership, workspace, attempted=attempted)
    name = _clean_team_name(name)
    workspace = _lock_workspace(workspace)
    with scope(workspace=workspace):
        if Team.objects.count() >= MAX_TEAMS:
            raise Refusal(
                _("A workspace can have at most %(max)d teams."),
                code="too_many_teams",
                status=409,
                params={"max": MAX_TEAMS},
            )
        if Team.objects.filter(name__iexact=name).exists():
            raise _team_name_taken()
        team = Team(workspace=workspace, name=name)
        _save_team(team, force_insert=True)
    audit.record(
        "core.team.created",
        actor=membership.user_id,
        workspace=workspace,
        obj=team,
        payload={"name": name},
    )
    return team


@_refusals_recorded
@transaction.atomic
def team_rename(*, membership: Membership, team: Team, name: str) -> Team:
    """Give a team another name (unique in the workspace, compared without case)."""
    attempted = "core.team.rename"
    membership = guards.acting_member(membership, team.workspace, action=attempted)
    _require_teams_manage(membership, team, attempted=attempted)
    name = _clean_team_name(name)
    _lock_workspace(team.workspace)
    team = _locked_team(team, membership=membership, attempted=attempted)
    with scope(workspace=team.workspace):
        if team.name == name:
            return team
        if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
            raise _team_name_taken()
        before = team.name
        team.name = name
        _save_team(team, update_fields=["name"])
    audit.record(
        "core.team.renamed",
        actor=membership.user_id,
        workspace=team.workspace,
        obj=team,
        payload={"before": before, "after": name},
    )
    return team


@_refusals_recorded
@transaction.atomic
def team_delete(*, membership: Membership, team: Team) -> int:
    """Delete a team; returns how many members it had.

    What is never deleted: members and records. Every ``team`` foreign key
    (``Membership`` and the CRM records) is ``on_delete=SET_NULL``, so in the
    same transaction the team's members become team-less and its records keep
    their owner and lose their team — one ``UPDATE`` per table, no rows loaded.
    With team visibility, members who read those records only through the team
    stop reading them; owners and admins still read and edit everything.
    """
    attempted = "core.team.delete"
    membership = guards.acting_member(membership, team.workspace, action=attempted)
    _require_teams_manage(membership, team, attempted=attempted)
    _lock_workspace(team.workspace)
    team = _locked_team(team, membership=membership, attempted=attempted)
    with scope(workspace=team.workspace):
        members = Membership.objects.filter(team=team).count()
        event_kwargs = {
            "actor": membership.user_id,
            "workspace": team.workspace,
            "object_type": team._meta.label_lower,
            "object_id": str(team.pk),
            "payload": {"name": team.name, "members": members},
        }
        team.delete()
    audit.record("core.team.deleted", **event_kwargs)
    return members


@_refusals_recorded
@transaction.atomic
def member_set_team(*, membership: Membership, target: Membership, team: Team | None) -> Membership:
    """Put the ``target`` member into ``team``, or into none (the view asks for
    step-up first).

    The team must be of the member's workspace; the rank rule of every member
    change applies (``policy.can_assign_team``).
    """
    attempted = "core.member.set_team"
    membership = guards.acting_member(membership, target.workspace, action=attempted)
    target = _locked_target(target)
    _require_teams_manage(membership, target, attempted=attempted)
    guards.require(
        membership,
        attempted,
        target,
        allowed=policy.can_assign_team(membership, target),
        message=_("You cannot change a member whose role is the same as or higher than yours."),
        code="member_at_or_above_own",
        target_role=target.role,
        own_role=membership.role,
    )
    if team is not None:
        # Another workspace's team (its existence is none of the caller's
        # business) or one deleted meanwhile; locked so it cannot go before commit.
        with scope(workspace=target.workspace):
            team = Team.objects.select_for_update(of=("self",)).filter(pk=team.pk).first()
        if team is None:
            raise _team_unknown(membership, attempted=attempted, obj=target)
    after = team.pk if team is not None else None
    if target.team_id == after:
        return target
    before = target.team_id
    target.team = team
    target.save(update_fields=["team"])
    audit.record(
        "core.member.team_changed",
        actor=membership.user_id,
        workspace=target.workspace,
        obj=target,
        payload={
            "user": str(target.user_id),
            "before": str(before) if before else None,
            "after": str(after) if after else None,
        },
    )
    return target


@_refusals_recorded
@transaction.atomic
def workspace_set_record_visibility(*, membership: Membership, visibility: str) -> Workspace:
    """Choose who reads CRM records in the acting member's workspace (owners;
    the view asks for step-up first): ``"workspace"`` — every member reads
    every record; ``"team"`` — below admin, members read only the records
    they own and those of their team."""
    attempted = "core.workspace.record_visibility"
    membership = guards.acting_member(membership, membership.workspace, action=attempted)
    workspace = membership.workspace
    guards.require(
        membership,
        attempted,
        workspace,
        permission="workspace.record_visibility",
        code="permission_denied",
    )
    if visibility not in RecordVisibility.values:
        raise guards.invalid(
            membership,
            attempted,
            message=_("Choose one of the offered options."),
            code="invalid_visibility",
        )
    workspace = _lock_workspace(workspace)
    before = workspace.record_visibility
    if before == visibility:
        return workspace
    workspace.record_visibility = visibility
    workspace.save(update_fields=["record_visibility"])
    audit.record(
        "core.workspace.record_visibility_changed",
        actor=membership.user_id,
        workspace=workspace,
        obj=workspace,
        payload={"before": before, "after": visibility},
    )
    return workspace
