"""Retention target of webhooks (P5): the delivery history.

Finished deliveries (succeeded or given up) are deleted once they finished
more than the period ago (the inventory's "delivery" promise, 30 days): the
history is for troubleshooting, not an archive. Pending ones are kept
whatever their age. Deliveries about a contact under legal hold stay. This
target is the only path that deletes them (there is no job of its own).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.retention.registry import Action, Target, delete_rows, register
from terabox_crm.webhooks.models import Delivery


def _pending(*, workspace_id, cutoff, held):
    rows = Delivery.objects.filter(workspace_id=workspace_id, finished_at__lt=cutoff).exclude(
        status=Delivery.Status.PENDING
    )
    if held:
        rows = rows.exclude(object_id__in=[str(subject) for subject in held])
    return rows


register(
    Target(
        code="webhooks.deliveries",
        label=_("Webhook delivery history"),
        help_text=_("Finished webhook deliveries, counted from when they finished."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="delivery",
        pending=_pending,
        apply=delete_rows(Delivery),
        default_enabled=True,
        order=85,
    )
)
