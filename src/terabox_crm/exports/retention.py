"""Retention targets of guarded exports (P5, S4, S5).

* ``exports.files`` — the file of an export whose link expired is deleted
  and its key destroyed (crypto-shredding: a backup's copy stays
  unreadable). The hourly job (``tasks.expire_exports``) does it as soon as
  the link expires; this target catches any it missed a day later. The
  export's row stays: it is the evidence of who exported what, for which
  purpose, how many rows and the file's SHA-256.
* ``exports.records`` — after the audit period (5 years) an export's
  filters (a searched name) and its third-party recipient are blanked; the
  rest of the row stays, like the audit trail's own records.

Files concern many people at once, not one: a legal hold on a contact does
not keep an export's file (it was handed out once, or never).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.exports import services
from terabox_crm.exports.models import Export, Status
from terabox_crm.retention.registry import Action, Target, register


def _files_pending(*, workspace_id, cutoff, held):
    return Export.objects.filter(
        workspace_id=workspace_id, status=Status.READY, expires_at__lt=cutoff
    )


def _files_apply(*, workspace_id, ids, action) -> int:
    return services.exports_expire(workspace_id=workspace_id, ids=ids)


def _records_pending(*, workspace_id, cutoff, held):
    return Export.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff).exclude(
        filters="", recipient=""
    )


def _records_apply(*, workspace_id, ids, action) -> int:
    return Export.objects.filter(workspace_id=workspace_id, pk__in=list(ids)).update(
        filters="", recipient=""
    )


register(
    Target(
        code="exports.files",
        label=_("Export files"),
        help_text=_(
            "The file of an export whose download link expired more than the period ago is "
            "deleted and its key destroyed. The export's record (who, what, how many rows, "
            "the file's SHA-256) is kept."
        ),
        actions=(Action.SHRED,),
        default_action=Action.SHRED,
        inventory_retention="audit",
        default_days=1,
        pending=_files_pending,
        apply=_files_apply,
        default_enabled=True,
        holds_apply=False,
        order=80,
    )
)
register(
    Target(
        code="exports.records",
        label=_("Export records"),
        help_text=_(
            "Exports asked more than the period ago: their filters and third-party recipient "
            "are blanked; what was exported, when, by whom and how many rows stay."
        ),
        actions=(Action.ANONYMISE,),
        default_action=Action.ANONYMISE,
        inventory_retention="audit",
        pending=_records_pending,
        apply=_records_apply,
        default_enabled=True,
        holds_apply=False,
        order=81,
    )
)
