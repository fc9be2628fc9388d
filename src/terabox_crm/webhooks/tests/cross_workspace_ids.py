"""Foreign ids for the webhooks URLs (see testing/cross_workspace.py)."""

from __future__ import annotations

from django.test import override_settings
from django_scopes import scopes_disabled

from terabox_crm.core.selectors import membership_in
from terabox_crm.testing.cross_workspace import ForeignId, param
from terabox_crm.webhooks import fanout, services
from terabox_crm.webhooks.models import Delivery, Endpoint

FOREIGN_URL = "https://globex-receiver.example/hooks"


def _foreign_endpoint(foreign) -> Endpoint:
    with scopes_disabled():
        found = Endpoint.objects.filter(workspace=foreign.workspace).first()
        if found is not None:
            return found
        # Registered without DNS: the SSRF guard is not what this walk tests.
        with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
            return services.endpoint_create(
                membership=membership_in(foreign.workspace, foreign.owner),
                url=FOREIGN_URL.replace("globex-receiver.example", "127.0.0.1"),
                description="Globex secret sync",
                event_names=["contact.created"],
            ).endpoint


@param("endpoint_id")
def foreign_endpoint(foreign) -> ForeignId:
    endpoint = _foreign_endpoint(foreign)
    return ForeignId(endpoint.pk, identifying=("Globex secret sync", endpoint.secret))


@param("delivery_id")
def foreign_delivery(foreign) -> ForeignId:
    endpoint = _foreign_endpoint(foreign)
    with scopes_disabled():
        delivery = Delivery.objects.create(
            workspace=foreign.workspace,
            endpoint=endpoint,
            event="contact.created",
            object_id="foreign-object-1",
            payload=fanout.build_payload(
                event_id=endpoint.pk,
                event="contact.created",
                occurred_at=endpoint.created_at,
                workspace_id=foreign.workspace.pk,
                object_id="foreign-object-1",
            ),
            status=Delivery.Status.SUCCEEDED,
        )
    return ForeignId(delivery.pk, identifying=("foreign-object-1",))
