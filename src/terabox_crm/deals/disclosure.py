"""Deals in a person's access export (P9)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.deals.models import Deal
from terabox_crm.dsr.registry import records_section, register_collector


def deals(workspace_id, subject_ids):
    yield records_section(
        "deals",
        _("Deals"),
        Deal.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids)
        .select_related("stage")
        .order_by("created_at", "id"),
        [
            "name",
            "stage",
            "amount",
            "currency",
            "expected_close_date",
            "closed_at",
            "close_reason",
            "created_at",
        ],
    )


register_collector("deals", deals, order=30)
