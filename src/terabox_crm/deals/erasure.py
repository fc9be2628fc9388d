"""The deals app's part of an erasure (P8; docs/privacy-erasure.md).

A deal is a business record: its amount, currency, pipeline, stage, dates
and probability stay, so pipeline totals and stage history do not change.
A deal linked to the erased person loses the link, and its name (which
often names the person, "山田様 追加契約") is replaced by a dash and its
won or lost reason (free text that may name them) is cleared; its name
search terms go with the engine's eraser.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.deals.models import Deal
from terabox_crm.erasure.registry import Eraser, Erasure, register

ERASED_NAME = "—"


def _erase(erasure: Erasure) -> None:
    deals = list(
        Deal.objects.filter(workspace_id=erasure.workspace_id, contact_id=erasure.subject_id)
    )
    for deal in deals:  # a person's few deals; each name is encrypted for its own row
        deal.name = ERASED_NAME
        deal.close_reason = ""
        deal.contact_id = None
        deal.save(update_fields=["name", "close_reason", "contact"])
    erasure.anonymised("deals.deal", [deal.pk for deal in deals])


def _preview(workspace_id, subject_id) -> int:
    return Deal.objects.filter(workspace_id=workspace_id, contact_id=subject_id).count()


register(
    Eraser(
        "deals.deal",
        _erase,
        description=_(
            "Deals keep their amounts and stages but lose the link to this person and their name"
        ),
        preview=_preview,
        order=20,
    )
)
