"""The activities app's part of an erasure (P8; docs/privacy-erasure.md).

Activities and tasks on the person's timeline (linked to their contact) are
deleted: their subjects, bodies and titles are text about the person, and
nothing in them is an aggregate worth keeping. Activities on a deal or a
company that only mention the person in passing are not linked to them and
cannot be found without reading every text: they stay.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import Activity, Task
from terabox_crm.erasure.registry import Eraser, Erasure, register


def _erase(erasure: Erasure) -> None:
    for label, model in (("activities.activity", Activity), ("activities.task", Task)):
        rows = model.objects.filter(
            workspace_id=erasure.workspace_id, contact_id=erasure.subject_id
        )
        erasure.erased(label, rows.values_list("pk", flat=True))
        rows.delete()


def _preview(workspace_id, subject_id) -> int:
    return sum(
        model.objects.filter(workspace_id=workspace_id, contact_id=subject_id).count()
        for model in (Activity, Task)
    )


register(
    Eraser(
        "activities",
        _erase,
        description=_("Activities and tasks on this person's timeline are deleted"),
        preview=_preview,
        order=10,
    )
)
