"""Reading the erasure ledger: who is erased, which addresses are suppressed.

Both answer for many ids or addresses with one indexed query each, so a
purpose gate over 100,000 contacts or an import of many rows asks once.
They filter on the workspace explicitly and may be called where no
django-scopes scope is active (jobs, the purpose gate).
"""

from __future__ import annotations

from datetime import datetime

from django_scopes import scopes_disabled

from terabox_crm.erasure import keys
from terabox_crm.erasure.models import Tombstone, TombstoneDigest

# Ids per IN (...) list: well below SQLite's parameter limit.
CHUNK = 1000


def erased_among(workspace_id, subject_ids) -> dict:
    """``{subject id: erased at}`` for those of ``subject_ids`` erased in the workspace."""
    ids = list(dict.fromkeys(subject_ids))
    found: dict[object, datetime] = {}
    with scopes_disabled():
        for start in range(0, len(ids), CHUNK):
            rows = Tombstone.objects.filter(
                workspace_id=workspace_id, subject_id__in=ids[start : start + CHUNK]
            ).values_list("subject_id", "erased_at")
            found.update(rows)
    return found


def suppressed(workspace_id, emails=(), phones=()) -> set:
    """The given plain emails and phones that belong to a person erased in the
    workspace (the suppression list), as they were given."""
    by_digest: dict[str, list[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            folded = keys.normalised(kind, value or "")
            if folded:
                by_digest.setdefault(keys.digest(workspace_id, kind, folded), []).append(value)
    if not by_digest:
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
