"""Who erases what (P8): the erasers that domain apps and engines register.

The erasure engine knows no domain model. Each app holding personal data
registers an ``Eraser`` in its autodiscovered ``<app>/erasure.py`` (imported
by ``erasure.apps.ErasureConfig.ready``); the engines below the erasure app
(search terms, the outbox, the audit trail's subject keys) are registered by
this app itself (``erasure/engines.py``). An app that knows a person's
identifiers (their emails and phones) also registers an ``IdentifierSource``,
which the tombstone's keyed hashes are made from and which finds, after a
restore, the rows that hold an erased address again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Erasure:
    """What one erasure knows while it runs, handed to every eraser in turn.

    ``identifiers`` holds the person's plain values (emails, phones, names) in
    memory only, so an eraser can find free text that names them (a queued
    email); it is never stored. ``erased_ids`` collects the ids of every row
    an eraser removed or blanked (the contact, its activities, tasks,
    tickets), so a later eraser can drop what pointed at them (notifications,
    webhook deliveries); ``unindexed_ids`` those rows and the ones kept but
    blanked (a deal), whose blind-index terms the engine eraser deletes.
    """

    workspace_id: object
    subject_id: object
    identifiers: dict[str, set[str]] = field(default_factory=dict)
    erased_ids: set[str] = field(default_factory=set)
    unindexed_ids: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def erased(self, label: str, ids: Iterable) -> None:
        """Rows deleted: whatever points at them goes too, and their search terms."""
        ids = [str(i) for i in ids]
        self.erased_ids.update(ids)
        self.unindexed_ids.update(ids)
        self.count(label, len(ids))

    def anonymised(self, label: str, ids: Iterable) -> None:
        """Rows kept with their personal values blanked: their search terms go."""
        ids = [str(i) for i in ids]
        self.unindexed_ids.update(ids)
        self.count(label, len(ids))

    def count(self, label: str, number: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + number


@dataclass(frozen=True)
class Eraser:
    """One app's part of an erasure.

    ``erase(erasure)`` deletes or anonymises the app's rows about the person,
    set-based, inside the caller's transaction. ``preview(workspace_id,
    subject_id) -> int`` counts them for the confirmation screen (optional).
    ``order``: lower runs first; rows that point at the contact go before it
    (10–40), the contact itself at 50, what points at erased ids (webhook
    deliveries, notifications) at 70, the engines (search terms, queued
    email, keys) at 90.
    """

    label: str
    erase: Callable[[Erasure], None]
    description: object = ""  # lazy translation: what happens, for the confirmation screen
    preview: Callable[[object, object], int] | None = None
    order: int = 50


@dataclass(frozen=True)
class IdentifierSource:
    """A person's identifiers as one app stores them.

    ``of(workspace_id, subject_id) -> {"email": {...}, "phone": {...},
    "name": {...}}`` with emails and phones normalised (``crypto.normalise``);
    ``exists(workspace_id, subject_id) -> bool`` says whether the person is
    still there; ``holders(workspace_id, match) -> set of subject ids`` walks
    the stored emails and phones in batches and returns the people for whom
    ``match(kind, normalised_value)`` is true (re-applying after a restore);
    ``describe(workspace_id, subject_id) -> str`` names the person on the
    confirmation screen ("" when unknown).
    """

    label: str
    of: Callable[[object, object], dict[str, set[str]]]
    exists: Callable[[object, object], bool]
    holders: Callable[[object, Callable[[str, str], bool]], set]
    describe: Callable[[object, object], str] | None = None  # a name for the confirmation screen


_erasers: dict[str, Eraser] = {}
_sources: dict[str, IdentifierSource] = {}


def register(eraser: Eraser) -> None:
    if eraser.label in _erasers:
        raise ValueError(f"eraser {eraser.label!r} registered twice")
    _erasers[eraser.label] = eraser


def register_identifiers(source: IdentifierSource) -> None:
    if source.label in _sources:
        raise ValueError(f"identifier source {source.label!r} registered twice")
    _sources[source.label] = source


def erasers() -> list[Eraser]:
    return sorted(_erasers.values(), key=lambda e: (e.order, e.label))


def identifier_sources() -> list[IdentifierSource]:
    return [_sources[label] for label in sorted(_sources)]
