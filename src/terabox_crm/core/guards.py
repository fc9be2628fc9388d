"""The one guard: may this membership do this action (on this object)?

Every surface refuses the same way (S5, S6, AC-5): a service, a web view and
an API view all ask ``require`` (or build the refusal with ``refusal`` when
the answer comes from a rule of their own), and the ``refusals.Refusal``
it raises carries a ``security.permission.denied`` event with the attempted
action and the reason. Inside a service (``refusals.recorded_after_rollback``)
the event is written once the service's transaction has rolled back, so it
survives the rollback; raised anywhere else (a view's own check, which runs
outside any transaction) it is written at once. Either way, exactly once.

A flood of refused requests must not flood the chain: at most
``DENIALS_RECORDED`` denials per actor are recorded in ``DENIAL_WINDOW``
seconds (``refusals.within_budget``); the refusal itself is answered the
same either way.

Services check again what their views and API endpoints already checked,
so that a job, a command or a future caller cannot skip the policy; both
layers ask the same ``core.policy`` rules, never role names.

Core's own services (workspace settings, invitations, members, teams) use the
same guard: ``acting_member`` reads the acting membership as it is now (a 404
for one that has ended or is of another workspace), and ``invalid`` refuses a
value no page offers as ``security.request.invalid`` — a security event, not a
denial, so outside the budget.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm.core import policy, records
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.refusals import (
    Refusal,
    denial,
    in_service,
    record,
    security_event,
)

INVALID_REQUEST = "security.request.invalid"
# The answer to every denial: the msgid of ``refusals.NO_PERMISSION``, written
# here so that core's catalog, which translates it for every app, keeps it
# (``refusals`` is a module without a catalog of its own).
NO_PERMISSION = _("You do not have permission to do this.")


def refusal(
    membership: Membership | None,
    action: str,
    obj=None,
    *,
    message=NO_PERMISSION,
    code: str = "forbidden",
    status: int = 403,
    field: str | None = None,
    reason: str = "",
    actor=None,
    workspace=None,
    **payload,
) -> Refusal:
    """The refusal of ``action`` (on ``obj``) with its recorded denial
    (``refusals.denial``); ``actor`` and ``workspace`` default to the
    membership's."""
    if actor is None and membership is not None:
        actor = membership.user_id
    if workspace is None and membership is not None:
        workspace = membership.workspace_id
    return denial(
        action,
        obj,
        actor=actor,
        workspace=workspace,
        message=message,
        code=code,
        status=status,
        field=field,
        reason=reason,
        **payload,
    )


def require(
    membership: Membership | None,
    action: str,
    obj=None,
    *,
    allowed: bool | None = None,
    permission: str = "",
    message=NO_PERMISSION,
    code: str = "forbidden",
    status: int = 403,
    **details,
) -> None:
    """Refuse (403 by default, recorded) unless ``membership`` may do ``action``.

    The policy decides (``core.policy.can``) unless the caller passes the
    answer of a rule of its own as ``allowed``. When ``action`` names the
    attempt rather than a policy action (core's services record
    ``"core.team.create"``), ``permission`` is the policy action asked, and
    it goes on record beside the attempt.
    """
    if permission:
        details["permission"] = permission
    if allowed is None:
        allowed = membership is not None and policy.can(membership, permission or action, obj)
    if not allowed:
        # A locked record (a restricted person's timeline, P7) says why.
        reason = records.lock_reason(membership, obj) if obj is not None else None
        if reason is not None:
            message, code = reason, "restricted"
        raise refusal(membership, action, obj, message=message, code=code, status=status, **details)


def in_workspace(membership: Membership | None, record, *, action: str) -> None:
    """A 404 refusal, recorded, unless ``record`` is in ``membership``'s
    workspace: a caller from another workspace learns nothing about it."""
    if membership is None or str(membership.workspace_id) != str(record.workspace_id):
        raise refusal(membership, action, message=_("Not found."), code="not_member", status=404)


def require_record(membership: Membership | None, action: str, record, *, message) -> None:
    """The object check every domain service starts with: a 404 for another
    workspace's ``record`` (``in_workspace``), then a 403, recorded, unless
    the policy allows ``action`` on it (``require``)."""
    in_workspace(membership, record, action=action)
    require(membership, action, record, message=message)


def acting_member(
    membership: Membership | None, workspace: Workspace, *, action: str
) -> Membership:
    """``membership`` as it is now, if it is a membership of ``workspace``;
    otherwise a 404 refusal, recorded (S6).

    Core's services act on the workspace itself — its members, teams,
    invitations and settings — and their rank rules (``core.policy``) depend
    on the actor's role: they read it again, so a role changed or a
    membership ended since the caller loaded it counts.
    """
    current = None
    if membership is not None and str(membership.workspace_id) == str(workspace.pk):
        with scope(workspace=workspace):
            current = (
                Membership.objects.select_related("workspace", "user")
                .filter(pk=membership.pk)
                .first()
            )
    if current is None:
        raise refusal(
            membership,
            action,
            message=_("You are not a member of this workspace."),
            code="not_a_member",
            status=404,
            # On the actor's own chain, like ``in_workspace``; without a
            # membership, on the chain of the workspace they tried.
            workspace=None if membership is not None else workspace.pk,
        )
    return current


def invalid(membership: Membership, action: str, obj=None, *, message, code: str) -> Refusal:
    """The 400 refusal of a value no page offers (a tampered or malformed
    request), carrying its ``security.request.invalid`` event (S7): not a
    denial, so it keeps its own action and stays outside the denial budget.
    Recorded like a denial: at once outside a service, after its rollback inside."""
    error = Refusal(
        message,
        code=code,
        status=400,
        action=action,
        audit_event=security_event(
            INVALID_REQUEST,
            actor=membership.user_id,
            workspace=membership.workspace_id,
            attempted=action,
            reason=code,
            obj=obj,
        ),
    )
    if not in_service():
        record(error)
    return error
