"""The vocabulary of audit event types: one dotted name each, with its ja/en
label. ``record()`` refuses names that are not registered, so the trail UI
can always show a translated label and a typo fails in tests, not in prod.

Names under ``security.`` are security events (S7): shown on the security
dashboard and kept for 1 year instead of 5.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    action: str
    label: object  # lazy translation

    @property
    def is_security(self) -> bool:
        return self.action.startswith("security.")


_types: dict[str, EventType] = {}


def register(action: str, label) -> None:
    if action in _types:
        raise ValueError(f"audit event type {action!r} registered twice")
    _types[action] = EventType(action, label)


def get(action: str) -> EventType:
    try:
        return _types[action]
    except KeyError:
        raise ValueError(f"unknown audit event type {action!r}") from None


def all_types() -> dict[str, EventType]:
    return dict(_types)


def label(action: str) -> str:
    event_type = _types.get(action)
    return str(event_type.label) if event_type else action


# The audit app's own event: `terabox-crm audit verify` found a chain broken.
register("security.audit.tamper_detected", _("Audit log tampering detected"))
