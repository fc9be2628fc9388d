"""Refusals: the one error every service, guard and view check raises when it
refuses, and the machinery that puts a refusal that is a security event on the
audit chain although nothing changed (S5, S6, S7).

It sits below every app that refuses (accounts, core and the domain apps) and
above only the audit trail, so each of them can refuse the same way.

The error
---------
``Refusal`` carries everything every surface needs to answer the same way
(S5, S6):

* ``code``: a stable string that tests and the API rely on;
* ``message``: translated, shown by forms, pages and problem details
  (``text`` with its ``params`` filled in);
* ``action``: the attempted action (``"deals.change"`` …), when known;
* ``status``: the HTTP status a view answers with (400, 403, 404 …);
* ``field``: the form field it belongs to, if any;
* ``audit_events``: the security events it puts on record — the keyword
  arguments of ``audit.record``. The service writes them *after* its own
  transaction has rolled back (``recorded_after_rollback``), so
  the attempt is on the audit chain although nothing changed; a refusal
  raised outside any service (a view's own check) is recorded at once by
  ``denial``.

It is a ``ValidationError``, so a form shows it like any other error, and
``api.problems.refusal_as_api_error`` turns it into problem details.

Recording
---------
A service refuses by raising; its ``@transaction.atomic`` then rolls back, and
an audit event written inside that transaction would vanish with it. So the
refusal carries its events (``audit_events``: the keyword arguments of
``audit.record``) and ``recorded_after_rollback`` writes them once the
outermost service has left its transaction. Callers therefore call services
outside any transaction of their own (views do; ``ATOMIC_REQUESTS`` stays
off), or the record would be rolled back together with the caller's
transaction.

A flood of probing requests must not flood the chain: ``within_budget``
counts events per key in the cache (shared across processes through Redis
when configured) so each kind of event is recorded at most so often.
"""

from __future__ import annotations

import contextvars
import functools

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from terabox_crm import audit, detection


class Refusal(ValidationError):
    """A request was refused and nothing was changed."""

    def __init__(
        self,
        message,
        *,
        code: str,
        status: int = 400,
        action: str = "",
        field: str | None = None,
        params: dict | None = None,
        audit_events: list[dict] | None = None,
        audit_event: dict | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.status = status
        self.action = action
        self.field = field
        self.audit_events = list(audit_events or [])
        if audit_event:
            self.audit_events.append(audit_event)
        self.recorded = False

    @property
    def audit_event(self) -> dict | None:
        """The first security event this refusal puts on record, if any."""
        return self.audit_events[0] if self.audit_events else None

    @property
    def text(self) -> str:
        """The translated message, in the language active now."""
        message = str(self.message)
        return message % self.params if self.params else message

    def __str__(self) -> str:
        return self.text


DENIED = "security.permission.denied"

# How deep in nested services the current call is: only the outermost one
# records a refusal, after *its* transaction (which would undo an inner
# record) has rolled back.
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("core_service_depth", default=0)


def recorded_after_rollback(service):
    """Record a refused request's security events outside the rolled-back transaction.

    Works for every refusal that carries ``audit_events``: a
    ``Refusal``, or the ``ValidationError`` of the contact and
    company services.
    """

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        token = _depth.set(_depth.get() + 1)
        try:
            return service(*args, **kwargs)
        except ValidationError as exc:
            if _depth.get() == 1:
                record(exc)
            raise
        finally:
            _depth.reset(token)

    return wrapper


def in_service() -> bool:
    """True inside a service wrapped by ``recorded_after_rollback``: a refusal
    raised now is recorded when the outermost one has rolled back."""
    return _depth.get() > 0


def record(refusal) -> None:
    """Write ``refusal``'s security events now, once (in their own transaction)."""
    pending = getattr(refusal, "audit_events", None) or []
    if not pending or getattr(refusal, "recorded", False):
        return
    with transaction.atomic():
        for event in pending:
            audit.record(**event)
    refusal.recorded = True


def security_event(
    action: str,
    *,
    actor,
    workspace,
    attempted: str,
    reason: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    **payload,
) -> dict:
    """The ``audit.record`` arguments of a refusal (ids, codes and counts only)."""
    event = {
        "action": action,
        "actor": actor,
        "workspace": workspace,
        "object_type": object_type,
        "object_id": object_id,
        "payload": {"attempted": attempted, "reason": reason, **payload},
    }
    if obj is not None:
        event["obj"] = obj
    return event


def count(key: str, *, window: int) -> int:
    """Add one to the counter ``key`` and return it; the counter starts at the
    first call and is forgotten ``window`` seconds later (a fixed window)."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def within_budget(key: str, *, limit: int, window: int) -> bool:
    """True for the first ``limit`` calls with ``key`` in a ``window`` of seconds."""
    return count(key, window=window) <= limit


NO_PERMISSION = _("You do not have permission to do this.")
DENIALS_RECORDED = 50
DENIAL_WINDOW = 600  # seconds


def _pk(value):
    return getattr(value, "pk", value)


def denial(
    action: str,
    obj=None,
    *,
    actor,
    workspace,
    message=NO_PERMISSION,
    code: str = "forbidden",
    status: int = 403,
    field: str | None = None,
    reason: str = "",
    **payload,
) -> Refusal:
    """The refusal of ``action`` (on ``obj``) by ``actor`` in ``workspace``,
    carrying its ``security.permission.denied`` event.

    ``reason`` (default: ``code``) and ``payload`` go on record beside the
    attempted action — ids and codes only. At most ``DENIALS_RECORDED`` per
    actor in ``DENIAL_WINDOW`` seconds are recorded, so a flood cannot flood
    the chain. Outside a service the denial is recorded before this returns;
    inside one, after its rollback.
    """
    error = Refusal(message, code=code, status=status, action=action, field=field)
    actor_id = _pk(actor)
    if within_budget(f"core:denials:{actor_id}", limit=DENIALS_RECORDED, window=DENIAL_WINDOW):
        event = security_event(
            DENIED,
            actor=actor_id,
            workspace=_pk(workspace) if workspace is not None else None,
            attempted=action,
            reason=reason or code,
            obj=obj,
            **payload,
        )
        error.audit_events.append(event)
    error.audit_events.extend(detection.denied(actor=actor_id, workspace=workspace))  # S7
    if not in_service():
        record(error)
    return error
