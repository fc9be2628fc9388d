"""Reads for the webhooks pages: the member's workspace's rows
(``visible_to(membership)``, ``core.records.WorkspaceQuerySet``)."""

from __future__ import annotations

from terabox_crm.webhooks.models import Delivery, Endpoint


def endpoints_of(membership):
    return Endpoint.objects.visible_to(membership).order_by("created_at")


def deliveries_of(membership, endpoint: Endpoint):
    return Delivery.objects.visible_to(membership).filter(endpoint=endpoint).order_by("-created_at")
