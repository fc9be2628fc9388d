"""Who is acting, and may they: the refusal machinery core's services share (S5, S6).

A refusal raises ``Refusal`` and changes nothing. Refusals that are
security events (a grant above one's own rank, an attempt on a higher-ranked
member or on the last owner, an expired, revoked or wrong-address invite) are
recorded by ``_refusals_recorded`` (``refusals``) *after* the service's
transaction has rolled back, so the attempt is on the audit chain although the
change is not. Callers therefore call services outside any transaction of
their own (views do; ``ATOMIC_REQUESTS`` stays off), or the refusal's record
would be rolled back together with the caller's transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.core import policy
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.selectors import membership_in
from terabox_crm.refusals import Refusal

DENIED = "security.permission.denied"
INVITE_REFUSED = "security.invitation.refused"
INVALID_REQUEST = "security.request.invalid"


def _refusal(
    message,
    *,
    code: str,
    status: int,
    actor=None,
    workspace=None,
    attempted: str,
    event: str | None = DENIED,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    **payload,
) -> Refusal:
    """A ``Refusal`` that, when ``event`` is set, goes on the audit chain."""
    audit_event = None
    if event is not None:
        audit_event = {
            "action": event,
            "actor": actor,
            "workspace": workspace,
            "obj": obj,
            "object_type": object_type,
            "object_id": object_id,
            "payload": {"attempted": attempted, "reason": code, **payload},
        }
    return Refusal(message, code=code, status=status, audit_event=audit_event)


def _acting_membership(actor, workspace: Workspace, *, attempted: str) -> Membership:
    """The actor's membership in ``workspace``; refused when they are not a member."""
    membership = membership_in(workspace, actor) if actor is not None else None
    if membership is None:
        raise _refusal(
            _("You are not a member of this workspace."),
            code="not_a_member",
            status=404,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
        )
    return membership


def _require(membership: Membership, action: str, obj=None, *, attempted: str) -> None:
    if not policy.can(membership, action, obj):
        raise _refusal(
            _("You do not have permission to do this."),
            code="permission_denied",
            status=403,
            actor=membership.user_id,
            workspace=membership.workspace,
            attempted=attempted,
            permission=action,
        )
