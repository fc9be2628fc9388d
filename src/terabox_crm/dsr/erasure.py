"""The request engine's part of an erasure (P8; docs/privacy-erasure.md).

An access export that answered the erased person's request holds everything
about them until it expires: it is destroyed with the erasure (its file
deleted, its key destroyed, its link dead), not left to its expiry. An
export still being built reads the person's rows after the erasure, when
there are none left.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from terabox_crm.dsr import export
from terabox_crm.dsr.models import AccessExport
from terabox_crm.erasure.registry import Eraser, Erasure, register


def _ready_exports_of(workspace_id, subject_id) -> list[tuple]:
    """``(id, key id)`` of the ready exports whose request matched the person.
    A workspace keeps few ready exports (they expire in days): the matched
    ids are compared here rather than through a JSON lookup SQLite lacks."""
    wanted = str(subject_id)
    with scopes_disabled():
        rows = AccessExport.objects.filter(
            workspace_id=workspace_id, state=AccessExport.State.READY
        ).values_list("pk", "key_id", "request__subject_ids")
        return [
            (pk, key_id)
            for pk, key_id, matched in rows
            if wanted in {str(s) for s in matched or ()}
        ]


def _erase(erasure: Erasure) -> None:
    found = _ready_exports_of(erasure.workspace_id, erasure.subject_id)
    for export_id, key_id in found:
        export.destroy(export_id, key_id)
    ids = [export_id for export_id, _key in found]
    with scopes_disabled():
        AccessExport.objects.filter(pk__in=ids).update(  # nosec B106  # blanks a token's hash
            state=AccessExport.State.EXPIRED, token_hash=""
        )
    erasure.erased("dsr.accessexport", ids)


def _preview(workspace_id, subject_id) -> int:
    return len(_ready_exports_of(workspace_id, subject_id))


register(
    Eraser(
        "dsr",
        _erase,
        description=_("Access exports prepared for this person are destroyed"),
        preview=_preview,
        order=80,
    )
)
