"""Who the data subjects are, as the domain apps tell the engine (P3, P7).

The engine knows no domain model: a person is ``(workspace, subject_id)``.
The app that keeps people (contacts) registers two functions in its
``AppConfig.ready()``:

* ``existing(workspace_id, subject_ids) -> set[UUID]``: which of these ids
  are people held in the workspace now (the gate's "unknown subject");
* ``readable(membership, subject_ids) -> set[UUID]``: which of them the acting
  member may read (S6), for the consent and restriction services.

Without a registration every id counts as existing and readable (the engine
on its own, in its tests); with several, an id counts when any source knows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Existing = Callable[[object, list], set]
Readable = Callable[[object, list], set]


@dataclass(frozen=True)
class Source:
    name: str
    existing: Existing
    readable: Readable


_sources: dict[str, Source] = {}


def register(name: str, *, existing: Existing, readable: Readable) -> None:
    _sources[name] = Source(name, existing, readable)


def unregister(name: str) -> None:
    _sources.pop(name, None)


def as_uuids(subject_ids: Iterable) -> list[uuid.UUID]:
    """``subject_ids`` as UUIDs, duplicates dropped, order kept; a value that is
    not a UUID raises ``ValueError``."""
    seen: dict[uuid.UUID, None] = {}
    for value in subject_ids:
        seen[value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))] = None
    return list(seen)


def existing(workspace_id, subject_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not _sources:
        return set(subject_ids)
    found: set[uuid.UUID] = set()
    for source in _sources.values():
        found |= _uuids(source.existing(workspace_id, subject_ids))
    return found


def _uuids(values) -> set[uuid.UUID]:
    return {value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in values}


def readable(membership, subject_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not _sources:
        return set(subject_ids)
    found: set[uuid.UUID] = set()
    for source in _sources.values():
        found |= _uuids(source.readable(membership, subject_ids))
    return found
