"""Reads for the webhooks pages (inside the request's workspace scope)."""

from __future__ import annotations

from terabox_crm.webhooks.models import Delivery, Endpoint


def endpoints_of(workspace):
    return Endpoint.objects.filter(workspace=workspace).order_by("created_at")


def deliveries_of(endpoint: Endpoint):
    return Delivery.objects.filter(endpoint=endpoint, workspace_id=endpoint.workspace_id).order_by(
        "-created_at"
    )
