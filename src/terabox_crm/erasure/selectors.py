"""Reading the erasure ledger: who is erased, which addresses are suppressed.

Both answer for many ids or addresses with one indexed query each, so a
purpose gate over 100,000 contacts or an import of many rows asks once.
They filter on the workspace explicitly and may be called where no
django-scopes scope is active (jobs, the purpose gate).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.cache import cache
from django_scopes import scopes_disabled

from terabox_crm.erasure import keys
from terabox_crm.erasure.models import Tombstone, TombstoneDigest
from terabox_crm.privacy import gate

# Ids per IN (...) list: well below SQLite's parameter limit.
CHUNK = 1000
# Ids per array parameter (``gate.ids_in``: one parameter, whatever its length).
ARRAY_CHUNK = 5000


def erased_among(workspace_id, subject_ids) -> dict:
    """``{subject id: erased at}`` for those of ``subject_ids`` erased in the workspace."""
    ids = list(dict.fromkeys(subject_ids))
    found: dict[object, datetime] = {}
    # UUIDs (the purpose gate's batches, an export's thousands) go as one
    # array parameter (``gate.ids_in``); anything else as a list of ids.
    as_array = all(isinstance(value, uuid.UUID) for value in ids)
    size = ARRAY_CHUNK if as_array else CHUNK
    with scopes_disabled():
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            rows = Tombstone.objects.filter(
                workspace_id=workspace_id,
                subject_id__in=gate.ids_in(chunk) if as_array else chunk,
            ).values_list("subject_id", "erased_at")
            found.update(rows)
    return found


# Most workspaces have erased nobody: whether one has is kept in the cache
# every process shares, so a contact create there costs no suppression query
# (docs/performance.md, "Write path"). "Yes" is kept long and set once an
# erasure commits (``note_tombstone``); "no" is kept a minute, which bounds
# how long a process that read "no" just before an erasure committed may skip
# the check (the flag is a warning, never a refusal).
HAS_TOMBSTONES_YES_SECONDS = 24 * 3600
HAS_TOMBSTONES_NO_SECONDS = 60


def _has_tombstones_key(workspace_id) -> str:
    return f"erasure:has-tombstones:{workspace_id}"


def has_tombstones(workspace_id) -> bool:
    key = _has_tombstones_key(workspace_id)
    known = cache.get(key)
    if known is None:
        with scopes_disabled():
            known = TombstoneDigest.objects.filter(workspace_id=workspace_id).exists()
        cache.set(key, known, HAS_TOMBSTONES_YES_SECONDS if known else HAS_TOMBSTONES_NO_SECONDS)
    return known


def note_tombstone(workspace_id) -> None:
    """Called on commit of a tombstone: the workspace has erased someone."""
    cache.set(_has_tombstones_key(workspace_id), True, HAS_TOMBSTONES_YES_SECONDS)


def suppressed(workspace_id, emails=(), phones=()) -> set:
    """The given plain emails and phones that belong to a person erased in the
    workspace (the suppression list), as they were given."""
    by_digest: dict[str, list[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            folded = keys.normalised(kind, value or "")
            if folded:
                by_digest.setdefault(keys.digest(workspace_id, kind, folded), []).append(value)
    if not by_digest or not has_tombstones(workspace_id):
        return set()
    with scopes_disabled():
        hits = TombstoneDigest.objects.filter(
            workspace_id=workspace_id, digest__in=list(by_digest)
        ).values_list("digest", flat=True)
        return {value for digest in hits for value in by_digest[digest]}


def tombstones(workspace_id, *, limit: int = 50) -> list[Tombstone]:
    """The workspace's newest tombstones (the privacy officer's list)."""
    with scopes_disabled():
        return list(Tombstone.objects.filter(workspace_id=workspace_id)[:limit])
