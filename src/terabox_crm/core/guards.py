"""The one guard: may this membership do this action (on this object)?

Every surface refuses the same way (S5, S6, AC-5): a service, a web view and
an API view all ask ``require`` (or build the refusal with ``refusal`` when
the answer comes from a rule of their own), and the ``core.errors.Refusal``
it raises carries a ``security.permission.denied`` event with the attempted
action and the reason. Inside a service (``core.refusals.recorded_after_rollback``)
the event is written once the service's transaction has rolled back, so it
survives the rollback; raised anywhere else (a view's own check, which runs
outside any transaction) it is written at once. Either way, exactly once.

A flood of refused requests must not flood the chain: at most
``DENIALS_RECORDED`` denials per actor are recorded in ``DENIAL_WINDOW``
seconds (``core.refusals.within_budget``); the refusal itself is answered the
same either way.

Services check again what their views and API endpoints already checked,
so that a job, a command or a future caller cannot skip the policy; both
layers ask the same ``core.policy`` rules, never role names.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.core import policy, refusals
from terabox_crm.core.errors import Refusal
from terabox_crm.core.models import Membership
from terabox_crm.core.records import pk_of

NO_PERMISSION = _("You do not have permission to do this.")
DENIALS_RECORDED = 50
DENIAL_WINDOW = 600  # seconds


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
    """The refusal of ``action`` (on ``obj``) with its recorded denial.

    ``actor`` and ``workspace`` default to the membership's; ``reason``
    (default: ``code``) and ``payload`` go on record beside the attempted
    action — ids and codes only. Outside a service the denial is recorded
    before this returns.
    """
    error = Refusal(message, code=code, status=status, action=action, field=field)
    actor_id = pk_of(actor) if actor is not None else getattr(membership, "user_id", None)
    if workspace is None and membership is not None:
        workspace = membership.workspace_id
    budget = f"core:denials:{actor_id}"
    if refusals.within_budget(budget, limit=DENIALS_RECORDED, window=DENIAL_WINDOW):
        event = refusals.security_event(
            refusals.DENIED,
            actor=actor_id,
            workspace=pk_of(workspace) if workspace is not None else None,
            attempted=action,
            reason=reason or code,
            **payload,
        )
        if obj is not None:
            event["obj"] = obj
        error.audit_events.append(event)
    if not refusals.in_service():
        refusals.record(error)
    return error


def require(
    membership: Membership | None,
    action: str,
    obj=None,
    *,
    allowed: bool | None = None,
    message=NO_PERMISSION,
    code: str = "forbidden",
    status: int = 403,
    **details,
) -> None:
    """Refuse (403 by default, recorded) unless ``membership`` may do ``action``.

    The policy decides (``core.policy.can``) unless the caller passes the
    answer of a rule of its own as ``allowed``.
    """
    if allowed is None:
        allowed = membership is not None and policy.can(membership, action, obj)
    if not allowed:
        raise refusal(membership, action, obj, message=message, code=code, status=status, **details)


def in_workspace(membership: Membership | None, record, *, action: str) -> None:
    """A 404 refusal, recorded, unless ``record`` is in ``membership``'s
    workspace: a caller from another workspace learns nothing about it."""
    if membership is None or str(membership.workspace_id) != str(record.workspace_id):
        raise refusal(membership, action, message=_("Not found."), code="not_member", status=404)
