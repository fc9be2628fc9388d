"""The notifications app's part of an erasure (P8; docs/privacy-erasure.md).

Notifications hold ids in their parameters (a task reminder names its task):
every notification of the workspace whose parameters name a row the erasure
removed is deleted: one statement per 1,000 ids, every parameter name in it,
so the workspace's notifications are read once.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terabox_crm.erasure.registry import Eraser, Erasure, register
from terabox_crm.notifications import kinds
from terabox_crm.notifications.models import Notification

CHUNK = 1000


def _param_names() -> set[str]:
    return {name for kind in kinds._kinds.values() for name in kind.params}


def _erase(erasure: Erasure) -> None:
    ids = sorted(erasure.erased_ids)
    names = sorted(_param_names())
    deleted = 0
    for start in range(0, len(ids) if names else 0, CHUNK):
        chunk = ids[start : start + CHUNK]
        naming = reduce(operator.or_, (Q(**{f"params__{name}__in": chunk}) for name in names))
        deleted += Notification.objects.filter(naming, workspace_id=erasure.workspace_id).delete()[
            0
        ]
    erasure.count("notifications", deleted)


register(
    Eraser(
        "notifications",
        _erase,
        description=_("Notifications about what is erased are deleted"),
        order=70,
    )
)
