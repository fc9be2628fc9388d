"""Refused requests that are security events, recorded although nothing changed
(S5, S7).

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

from terabox_crm import audit

DENIED = "security.permission.denied"

# How deep in nested services the current call is: only the outermost one
# records a refusal, after *its* transaction (which would undo an inner
# record) has rolled back.
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("core_service_depth", default=0)


def recorded_after_rollback(service):
    """Record a refused request's security events outside the rolled-back transaction.

    Works for every refusal that carries ``audit_events``: a
    ``core.errors.Refusal``, or the ``ValidationError`` of the contact and
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
    object_type: str = "",
    object_id: str = "",
    **payload,
) -> dict:
    """The ``audit.record`` arguments of a refusal (ids, codes and counts only)."""
    return {
        "action": action,
        "actor": actor,
        "workspace": workspace,
        "object_type": object_type,
        "object_id": object_id,
        "payload": {"attempted": attempted, "reason": reason, **payload},
    }


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
