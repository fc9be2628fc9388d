"""The notifications app's part of an erasure (P8; docs/privacy-erasure.md).

Notifications hold ids in their parameters (a task reminder names its task):
every notification of the workspace whose parameters name a row the erasure
removed is deleted, one indexed query per parameter name.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.erasure.registry import Eraser, Erasure, register
from terabox_crm.notifications import kinds
from terabox_crm.notifications.models import Notification

CHUNK = 1000


def _param_names() -> set[str]:
    return {name for kind in kinds._kinds.values() for name in kind.params}


def _erase(erasure: Erasure) -> None:
    ids = sorted(erasure.erased_ids)
    deleted = 0
    for name in sorted(_param_names()):
        for start in range(0, len(ids), CHUNK):
            deleted += Notification.objects.filter(
                workspace_id=erasure.workspace_id,
                **{f"params__{name}__in": ids[start : start + CHUNK]},
            ).delete()[0]
    erasure.count("notifications", deleted)


register(
    Eraser(
        "notifications",
        _erase,
        description=_("Notifications about what is erased are deleted"),
        order=70,
    )
)
