"""Retention targets of imports (P5).

* ``imports.files`` — the file of an import uploaded, or dry-run, and never
  applied is destroyed with its key (crypto-shredding: a backup's copy stays
  unreadable). The hourly job (``tasks.expire_imports``) does it a day after
  the upload; this target catches any it missed. An applied import's file
  is destroyed as soon as the run ends.
* ``imports.records`` — after the audit period (5 years) an import's file
  name, header row and consent reference are blanked and its rows' outcomes
  deleted; the import's row stays (who imported what kind of records, when,
  the counts and the file's SHA-256), like the audit trail's own records.

The contacts an import created are not this app's: their own rules apply.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.imports import services
from terabox_crm.imports.models import Import, ImportRow, Status
from terabox_crm.retention.registry import Action, Target, register


def _files_pending(*, workspace_id, cutoff, held):
    return Import.objects.filter(
        workspace_id=workspace_id,
        status__in=(Status.UPLOADED, Status.CHECKED, Status.FAILED),
        created_at__lt=cutoff,
    ).exclude(key_id="")


def _files_apply(*, workspace_id, ids, action) -> int:
    return services.imports_expire(workspace_id=workspace_id, ids=ids)


def _records_pending(*, workspace_id, cutoff, held):
    return Import.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff).exclude(
        file_name="", headers="", receipt="", total=0
    )


def _records_apply(*, workspace_id, ids, action) -> int:
    ids = list(ids)
    ImportRow.objects.filter(workspace_id=workspace_id, job_id__in=ids).delete()
    return Import.objects.filter(workspace_id=workspace_id, pk__in=ids).update(
        file_name="", headers="", receipt="", mapping=[], total=0
    )


register(
    Target(
        code="imports.files",
        label=_("Import files"),
        help_text=_(
            "The file of an import uploaded more than the period ago and never applied is "
            "deleted and its key destroyed. The import's record is kept."
        ),
        actions=(Action.SHRED,),
        default_action=Action.SHRED,
        inventory_retention="audit",
        default_days=1,
        pending=_files_pending,
        apply=_files_apply,
        default_enabled=True,
        holds_apply=False,
        order=82,
    )
)
register(
    Target(
        code="imports.records",
        label=_("Import records"),
        help_text=_(
            "Imports made more than the period ago: their file name, columns and consent "
            "reference are blanked and the outcome of each row deleted; what was imported, "
            "when, by whom and the counts stay."
        ),
        actions=(Action.ANONYMISE,),
        default_action=Action.ANONYMISE,
        inventory_retention="audit",
        pending=_records_pending,
        apply=_records_apply,
        default_enabled=True,
        holds_apply=False,
        order=83,
    )
)
