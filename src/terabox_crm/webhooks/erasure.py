"""The webhooks app's part of an erasure (P8; docs/privacy-erasure.md).

Deliveries carry ids only, but a pending one would still send the erased
person's id out, and a finished one keeps it: every delivery about a row
the erasure removed is deleted.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.erasure.registry import Eraser, Erasure, register
from terabox_crm.webhooks.models import Delivery

CHUNK = 1000


def _erase(erasure: Erasure) -> None:
    ids = sorted(erasure.erased_ids)
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        deleted += Delivery.objects.filter(
            workspace_id=erasure.workspace_id, object_id__in=ids[start : start + CHUNK]
        ).delete()[0]
    erasure.count("webhooks.delivery", deleted)


def _preview(workspace_id, subject_id) -> int:
    return Delivery.objects.filter(workspace_id=workspace_id, object_id=str(subject_id)).count()


register(
    Eraser(
        "webhooks.delivery",
        _erase,
        description=_("Webhook deliveries about this person, sent or waiting, are deleted"),
        preview=_preview,
        order=70,
    )
)
