"""The domain event bus: apps announce committed changes, others listen.

One small registry that knows no app (core sits below the domain apps and
imports none of them):

* each app declares the events it publishes once, in its own ``events.py``
  (``DECLARED``), handed to ``declare`` in its ``AppConfig.ready()``;
* a service calls ``publish(name, workspace_id=…, object_id=…)`` inside its
  transaction; subscribers are called with ``(name, workspace_id, object_id)``
  only once that transaction commits, so a rolled-back write is never
  announced (nor one undone by a rolled-back savepoint);
* a subscriber that raises is logged and counted (``failures()``) and never
  breaks the write, which is committed already, nor the other subscribers.

Ids only travel on the bus (P1): listeners read what they need through the
scoped models. Webhooks subscribe to every declared event and offer the
declarations as the events an endpoint can choose (README, Webhooks).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Event:
    """One declared event.

    ``label`` is the lazy ja/en text shown where events are chosen (the
    webhook endpoint form and API); ``subject`` is the record type
    (``app_label.model``) whose id the event carries as ``data.id``.
    """

    name: str
    label: object
    subject: str


_declared: dict[str, Event] = {}
_subscribers: list[Subscriber] = []
_failures: Counter[str] = Counter()


def declare(events: Iterable[Event]) -> None:
    """Add ``events`` to the vocabulary; a name declared twice is a mistake."""
    for event in events:
        if event.name in _declared:
            raise ValueError(f"event {event.name!r} declared twice")
        _declared[event.name] = event


def declared() -> list[Event]:
    """Every declared event, by name."""
    return sorted(_declared.values(), key=lambda event: event.name)


def is_declared(name: str) -> bool:
    return name in _declared


def get(name: str) -> Event:
    try:
        return _declared[name]
    except KeyError:
        raise ValueError(f"unknown event {name!r}") from None


def subscribe(callback: Subscriber) -> None:
    """Call ``callback(name, workspace_id, object_id)`` after each committed event."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def unsubscribe(callback: Subscriber) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def publish(name: str, *, workspace_id, object_id) -> None:
    """Announce ``name`` about ``object_id`` once the current transaction commits."""
    get(name)  # an undeclared name fails in tests, not in a listener
    transaction.on_commit(partial(_deliver, name, str(workspace_id), str(object_id)))


def _deliver(name: str, workspace_id: str, object_id: str) -> None:
    for callback in list(_subscribers):
        try:
            callback(name, workspace_id, object_id)
        except Exception:  # the write is committed: one broken listener must not undo the request
            subscriber = f"{callback.__module__}.{getattr(callback, '__qualname__', callback)}"
            _failures[subscriber] += 1
            logger.exception("event subscriber %s failed on %s for %s", subscriber, name, object_id)


def failures() -> dict[str, int]:
    """How often each subscriber has failed in this process (for operators and tests)."""
    return dict(_failures)
