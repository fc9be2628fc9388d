"""Domain events of companies and contacts, for whoever listens (webhooks).

A tiny registry on purpose: the contacts app must not know the webhook app.
``subscribe(callback)`` adds a listener; the services call ``emit`` inside
their transaction and every listener is called with
``(event_name, workspace_id, object_id)`` only once the transaction has
committed, so a rolled-back change is never announced. Ids only: listeners
read what they need through the scoped models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

Callback = Callable[[str, str, str], None]

_subscribers: list[Callback] = []

EVENTS = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.merged",
    "company.created",
    "company.updated",
    "company.deleted",
)


def subscribe(callback: Callback) -> None:
    """Call ``callback(event_name, workspace_id, object_id)`` after each committed change."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def unsubscribe(callback: Callback) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def _deliver(event_name: str, workspace_id: str, object_id: str) -> None:
    for callback in list(_subscribers):
        try:
            callback(event_name, workspace_id, object_id)
        except Exception:  # one broken listener must not hide the event from the others
            logger.exception("contacts event listener failed for %s", event_name)


def emit(event_name: str, *, workspace_id, object_id) -> None:
    """Announce ``event_name`` once the current transaction commits."""
    if event_name not in EVENTS:
        raise ValueError(f"unknown contacts event {event_name!r}")
    workspace, obj = str(workspace_id), str(object_id)
    transaction.on_commit(lambda: _deliver(event_name, workspace, obj))
