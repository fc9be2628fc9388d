"""Which user an incoming user id names: only ever a member of the caller's
workspace (S6, S7).

A deal's owner, a task's or a ticket's assignee, a contact's or a company's
owner: every user id a service accepts is resolved here, among the members of
the workspace and nowhere else. An id that is not a member's gets one answer,
"Choose a member of this workspace.", whether it names nobody, a user of
another workspace, a former member, or is not an id at all — so a token
holder cannot learn which user ids exist elsewhere.

Trying such ids again and again looks like probing: the attempts are counted
per actor in the cache, and once ``PROBE_LIMIT`` of them fall within
``PROBE_WINDOW`` seconds the refusal carries a
``security.request.foreign_user_id`` event (ids and a count only), recorded
once per actor and window so a loop cannot flood the audit chain.

Changes to memberships — a member's role, capabilities and removal — are
services here too (S6): keyword-only, they take the acting ``membership`` and
the ``target`` member, check the policy through the one guard
(``core.guards``) and record their audit event in one transaction.
Rank rules, in one place (``core.policy``): a role grants only roles below its
own, owners may also make owners; nobody changes a member at or above their own
rank unless they are an owner; the last owner can never be demoted or removed,
not even by themselves.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from terabox_crm import audit, refusals
from terabox_crm.core import guards, policy
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.records import as_uuid, pk_of
from terabox_crm.core.roles import Capability, Role
from terabox_crm.refusals import Refusal
from terabox_crm.refusals import recorded_after_rollback as _refusals_recorded

NOT_A_MEMBER = _("Choose a member of this workspace.")
FOREIGN_USER_ID = "security.request.foreign_user_id"
PROBE_LIMIT = 5
PROBE_WINDOW = 600  # seconds


def members(workspace):
    """The memberships of ``workspace`` with their users (for choice lists)."""
    workspace_id = pk_of(workspace)
    with scopes_disabled():
        return Membership.objects.select_related("user").filter(workspace_id=workspace_id)


def member_user(
    *,
    workspace,
    value,
    actor,
    field: str,
    current=None,
):
    """The user named by ``value`` (a user or a user id) if they are a member of
    ``workspace``; otherwise a ``Refusal`` with the one answer for every other id.

    ``current`` is the user the field holds now (an update): keeping it is
    not re-checked, so a record whose owner has left can still be edited.
    """
    if current is not None and str(pk_of(current)) == str(pk_of(value)):
        return current
    key = as_uuid(pk_of(value))
    membership = None
    if key is not None:
        membership = members(workspace).filter(user_id=key).first()
    if membership is not None:
        return membership.user
    raise Refusal(
        NOT_A_MEMBER,
        code=f"unknown_{field}",
        field=field,
        audit_events=note_non_member(workspace=workspace, actor=actor, field=field, value=value),
    )


def note_non_member(*, workspace, actor, field: str, value) -> list[dict]:
    """Count one refused user id for ``actor``; the security event to record
    when the count has just reached ``PROBE_LIMIT`` in the window, else none."""
    actor_id = pk_of(actor)
    key = f"core:foreign-user-ids:{actor_id}"
    attempts = refusals.count(key, window=PROBE_WINDOW)
    if attempts < PROBE_LIMIT:
        return []
    if not cache.add(f"{key}:recorded", 1, PROBE_WINDOW):
        return []
    tried = as_uuid(pk_of(value))
    return [
        refusals.security_event(
            FOREIGN_USER_ID,
            actor=actor_id,
            workspace=pk_of(workspace),
            attempted=field,
            reason="not_a_member",
            user_id=str(tried) if tried else "",
            attempts=attempts,
            window_seconds=PROBE_WINDOW,
        )
    ]


def _lock_owners(workspace: Workspace) -> list:
    """Lock the workspace's owner rows (PostgreSQL; SQLite's IMMEDIATE transaction
    already serialises writers) so two owners demoting each other at the same
    moment cannot leave the workspace without one."""
    with scope(workspace=workspace):
        return list(
            Membership.objects.select_for_update(of=("self",))
            .filter(role=Role.OWNER)
            .values_list("pk", flat=True)
        )


# --- Memberships ----------------------------------------------------------------------


def _locked_target(target: Membership) -> Membership:
    with scope(workspace=target.workspace):
        return (
            Membership.objects.select_for_update(of=("self",))
            .select_related("workspace", "user")
            .get(pk=target.pk)
        )


def _require_change_rights(membership: Membership, target: Membership, *, attempted: str):
    guards.require(
        membership, attempted, target, permission="members.manage", code="permission_denied"
    )
    guards.require(
        membership,
        attempted,
        target,
        allowed=policy.can_change_member(membership, target),
        message=_("You cannot change a member whose role is the same as or higher than yours."),
        code="member_at_or_above_own",
        target_role=target.role,
        own_role=membership.role,
    )


def _refuse_if_last_owner(membership: Membership, target: Membership, *, attempted: str) -> None:
    if target.role != Role.OWNER:
        return
    if len(_lock_owners(target.workspace)) <= 1:
        raise guards.refusal(
            membership,
            attempted,
            target,
            message=_(
                "The workspace must keep at least one owner. Make someone else an owner first."
            ),
            code="last_owner",
            status=409,
        )


@_refusals_recorded
@transaction.atomic
def member_change_role(*, membership: Membership, target: Membership, role: str) -> Membership:
    """Give the ``target`` member another role (the view asks for step-up first).

    A role grants only roles below its own (owners may also make owners);
    nobody changes a member at or above their own rank unless they are an
    owner; the last owner can never be demoted.
    """
    attempted = "core.member.change_role"
    membership = guards.acting_member(membership, target.workspace, action=attempted)
    target = _locked_target(target)
    if role not in Role.values:
        raise guards.invalid(
            membership,
            attempted,
            target,
            message=_("Choose one of the offered roles."),
            code="invalid_role",
        )
    _require_change_rights(membership, target, attempted=attempted)
    guards.require(
        membership,
        attempted,
        target,
        allowed=policy.can_grant_role(membership, role),
        message=_("You can only grant roles below your own."),
        code="role_above_own",
        role=role,
        own_role=membership.role,
    )
    if role == target.role:
        return target
    if role != Role.OWNER:
        _refuse_if_last_owner(membership, target, attempted=attempted)
    before = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit.record(
        "core.member.role_changed",
        actor=membership.user_id,
        workspace=target.workspace,
        obj=target,
        payload={"user": str(target.user_id), "before": before, "after": role},
    )
    return target


@_refusals_recorded
@transaction.atomic
def member_set_capabilities(
    *, membership: Membership, target: Membership, privacy_officer: bool, auditor: bool
) -> Membership:
    """Give the ``target`` member or take from them the privacy-officer and
    auditor capabilities (step-up in the view).

    Both make two-factor mandatory for the member (S14), whatever the
    workspace setting.
    """
    attempted = "core.member.set_capabilities"
    membership = guards.acting_member(membership, target.workspace, action=attempted)
    target = _locked_target(target)
    _require_change_rights(membership, target, attempted=attempted)
    wanted = {
        Capability.PRIVACY_OFFICER: ("is_privacy_officer", bool(privacy_officer)),
        Capability.AUDITOR: ("is_auditor", bool(auditor)),
    }
    changes = {}
    for capability, (field, value) in wanted.items():
        if getattr(target, field) == value:
            continue
        guards.require(
            membership,
            attempted,
            target,
            allowed=policy.can_grant_capability(membership, capability),
            message=_("You cannot grant or take away this capability."),
            code="capability_not_grantable",
            capability=str(capability),
        )
        changes[field] = {"before": getattr(target, field), "after": value}
        setattr(target, field, value)
    if not changes:
        return target
    target.save(update_fields=list(changes))
    audit.record(
        "core.member.capabilities_changed",
        actor=membership.user_id,
        workspace=target.workspace,
        obj=target,
        payload={"user": str(target.user_id), **changes},
    )
    return target


@_refusals_recorded
@transaction.atomic
def member_remove(*, membership: Membership, target: Membership) -> None:
    """Remove the ``target`` member, or leave when ``target`` is ``membership``.

    Anyone may leave unless they are the last owner. Removing someone else
    needs ``members.manage`` and a rank above theirs (or being an owner); the
    last owner can never be removed. The person's account stays: only their
    access to this workspace ends.
    """
    leaving = membership is not None and target.pk == membership.pk
    attempted = "core.member.leave" if leaving else "core.member.remove"
    membership = guards.acting_member(membership, target.workspace, action=attempted)
    target = _locked_target(target)
    if leaving:
        guards.require(
            membership, attempted, target, permission="workspace.leave", code="permission_denied"
        )
    else:
        _require_change_rights(membership, target, attempted=attempted)
    _refuse_if_last_owner(membership, target, attempted=attempted)
    event_kwargs = {
        "actor": membership.user_id,
        "workspace": target.workspace,
        "object_type": target._meta.label_lower,
        "object_id": str(target.pk),
        "payload": {"user": str(target.user_id), "role": target.role},
    }
    with scope(workspace=target.workspace):
        target.delete()
    audit.record("core.member.left" if leaving else "core.member.removed", **event_kwargs)
