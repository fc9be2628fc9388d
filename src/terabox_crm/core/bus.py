"""The domain event bus: apps announce committed changes, others listen.

One small registry that knows no app (core sits below the domain apps and
imports none of them):

* each app declares the events it publishes once, in its own ``events.py``
  (``DECLARED``), handed to ``declare`` in its ``AppConfig.ready()``;
* a service calls ``publish(name, workspace_id=…, object_id=…)`` inside its
  transaction; subscribers are called only once that transaction commits,
  so a rolled-back write is never announced (nor one undone by a
  rolled-back savepoint);
* a subscriber hears each object on its own (``subscribe``: called with
  ``(name, workspace_id, object_id)``) or a transaction's events in groups
  (``subscribe_many``: ``(name, workspace_id, object_ids)``), so a bulk
  change of 1,000 records costs a listener one set-based pass, not 1,000;
* a bulk change runs inside ``collecting()`` (or announces its records with
  ``publish_many``): its events are delivered together after the commit,
  and the ones published in a savepoint that rolled back are left out;
* a subscriber that raises is logged and counted (``failures()``) and never
  breaks the write, which is committed already, nor the other subscribers.

Ids only travel on the bus (P1): listeners read what they need through the
scoped models. Webhooks subscribe to every declared event and offer the
declarations as the events an endpoint can choose (README, Webhooks).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[str, str, str], None]
BatchSubscriber = Callable[[str, str, list[str]], None]


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
_batch_subscribers: list[BatchSubscriber] = []
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


def subscribe_many(callback: BatchSubscriber) -> None:
    """Call ``callback(name, workspace_id, object_ids)`` once per event name
    and workspace of each committed group (one object for a lone ``publish``)."""
    if callback not in _batch_subscribers:
        _batch_subscribers.append(callback)


def unsubscribe(callback) -> None:
    for subscribers in (_subscribers, _batch_subscribers):
        if callback in subscribers:
            subscribers.remove(callback)


def publish(name: str, *, workspace_id, object_id) -> None:
    """Announce ``name`` about ``object_id`` once the current transaction commits."""
    publish_many(name, workspace_id=workspace_id, object_ids=[object_id])


def publish_many(name: str, *, workspace_id, object_ids: Iterable) -> None:
    """Announce ``name`` about each of ``object_ids`` once the current
    transaction commits, as one group (inside ``collecting()``: with the
    block's other events)."""
    get(name)  # an undeclared name fails in tests, not in a listener
    events = [(name, str(workspace_id), str(object_id)) for object_id in object_ids]
    if not events:
        return
    collector = _collecting.get()
    if collector is not None:
        collector.add(events)
    else:
        transaction.on_commit(partial(_deliver, events))


class _Committed:
    """An after-commit callback that only notes it ran: Django drops it with
    the savepoint it was registered in, so having run means its event's
    write was committed."""

    __slots__ = ("ran",)

    def __init__(self) -> None:
        self.ran = False

    def __call__(self) -> None:
        self.ran = True


class _Collector:
    def __init__(self) -> None:
        self.events: list[tuple[_Committed, list[tuple[str, str, str]]]] = []

    def add(self, events: list[tuple[str, str, str]]) -> None:
        mark = _Committed()
        transaction.on_commit(mark)
        self.events.append((mark, events))

    def deliver(self) -> None:
        _deliver([event for mark, events in self.events if mark.ran for event in events])


_collecting: ContextVar[_Collector | None] = ContextVar("bus_collecting", default=None)


@contextmanager
def collecting() -> Iterator[None]:
    """Collect the events published inside the block and deliver them
    together once the transaction commits (a bulk action, an import batch).

    Each event still leaves a mark among the transaction's after-commit
    callbacks, where it is dropped if its savepoint rolls back; the group is
    delivered after those marks, without the events whose mark was dropped.
    So a row of an import whose savepoint rolled back is not announced, as
    with ``publish`` alone. Nested blocks each deliver their own.
    """
    collector = _Collector()
    token = _collecting.set(collector)
    try:
        yield
    finally:
        _collecting.reset(token)
        if collector.events:
            # Registered after every mark, at the level the block began: it
            # runs after them, and is dropped only with all of them.
            transaction.on_commit(collector.deliver)


def _deliver(events: list[tuple[str, str, str]]) -> None:
    """Call the subscribers with committed ``events`` (name, workspace, object),
    grouped by name and workspace in the order each group first appears."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, workspace_id, object_id in events:
        groups.setdefault((name, workspace_id), []).append(object_id)
    for (name, workspace_id), object_ids in groups.items():
        for callback in list(_subscribers):
            for object_id in object_ids:
                _call(callback, name, workspace_id, object_id, object_id)
        for callback in list(_batch_subscribers):
            _call(callback, name, workspace_id, object_ids, _named(object_ids))


def _named(object_ids: list[str]) -> str:
    """The objects of a group as a log names them: a few ids and the count."""
    shown = ", ".join(object_ids[:3])
    return shown if len(object_ids) <= 3 else f"{shown} … ({len(object_ids)} objects)"


def _call(callback, name: str, workspace_id: str, objects, named: str) -> None:
    try:
        callback(name, workspace_id, objects)
    except Exception:  # the write is committed: one broken listener must not undo the request
        subscriber = f"{callback.__module__}.{getattr(callback, '__qualname__', callback)}"
        _failures[subscriber] += 1
        logger.exception("event subscriber %s failed on %s for %s", subscriber, name, named)


def failures() -> dict[str, int]:
    """How often each subscriber has failed in this process (for operators and tests)."""
    return dict(_failures)
