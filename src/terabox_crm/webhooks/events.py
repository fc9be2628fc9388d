"""The webhook event registry, and ``emit``.

Any app declares its events with ``register(name, label)`` in its
``AppConfig.ready()`` and calls ``emit`` when one happens. The CRM's own
events are declared here, so endpoints can subscribe to them (deals included)
before the app that emits them exists.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django_scopes import scopes_disabled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventType:
    name: str
    label: object  # lazy translation


_registry: dict[str, EventType] = {}


def register(name: str, label) -> None:
    if name in _registry:
        raise ValueError(f"webhook event {name!r} registered twice")
    _registry[name] = EventType(name, label)


def all_events() -> list[EventType]:
    return sorted(_registry.values(), key=lambda item: item.name)


def is_known(name: str) -> bool:
    return name in _registry


def label(name: str) -> str:
    if name == PING:
        return str(PING_LABEL)
    event_type = _registry.get(name)
    return str(event_type.label) if event_type else name


# Sent only by the "Send test event" button, to one endpoint; not subscribable.
PING = "webhook.ping"
PING_LABEL = pgettext_lazy("webhook event", "Test event")

for _name, _label in {
    "contact.created": pgettext_lazy("webhook event", "Contact created"),
    "contact.updated": pgettext_lazy("webhook event", "Contact updated"),
    "contact.deleted": pgettext_lazy("webhook event", "Contact deleted"),
    "contact.merged": pgettext_lazy("webhook event", "Contacts merged"),
    "company.created": pgettext_lazy("webhook event", "Company created"),
    "company.updated": pgettext_lazy("webhook event", "Company updated"),
    "company.deleted": pgettext_lazy("webhook event", "Company deleted"),
    "deal.created": pgettext_lazy("webhook event", "Deal created"),
    "deal.updated": pgettext_lazy("webhook event", "Deal updated"),
    "deal.deleted": pgettext_lazy("webhook event", "Deal deleted"),
    "deal.stage_changed": pgettext_lazy("webhook event", "Deal moved to another stage"),
}.items():
    register(_name, _label)


def build_payload(*, event_id, event: str, occurred_at, workspace_id, object_id) -> dict:
    """The JSON body of a delivery: ids only, never field values."""
    return {
        "id": str(event_id),
        "event": event,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "workspace_id": str(workspace_id),
        "data": {"id": str(object_id)},
    }


def emit(event: str, *, workspace_id, object_id) -> int:
    """Queue one delivery per active endpoint of ``workspace_id`` subscribed to ``event``.

    The rows are written now (in the caller's transaction, if any) and the
    jobs are enqueued after commit, so a rolled-back change sends nothing.
    Only that workspace's endpoints are looked at.
    """
    from terabox_crm.webhooks.models import Delivery, Endpoint

    if event not in _registry:
        raise ValueError(f"unknown webhook event {event!r}")
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = build_payload(
        event_id=event_id,
        event=event,
        occurred_at=now,
        workspace_id=workspace_id,
        object_id=object_id,
    )
    with scopes_disabled():
        endpoints = [
            endpoint_id
            for endpoint_id, events in Endpoint.objects.filter(
                workspace_id=workspace_id, active=True
            ).values_list("pk", "events")
            if event in events
        ]
    if not endpoints:
        # Most events of most workspaces: one read, and no transaction of its
        # own after the change's commit (on SQLite, no second write lock).
        return 0
    with scopes_disabled(), transaction.atomic():
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    workspace_id=workspace_id,
                    endpoint_id=endpoint_id,
                    event_id=event_id,
                    event=event,
                    object_id=str(object_id),
                    payload=payload,
                    next_attempt_at=now,
                )
                for endpoint_id in endpoints
            ]
        )
        for delivery in deliveries:
            transaction.on_commit(lambda pk=delivery.pk: enqueue(pk))
    return len(deliveries)


def enqueue(delivery_id) -> None:
    from terabox_crm.webhooks import tasks

    tasks.deliver_webhook(str(delivery_id))


def on_domain_event(event_name: str, workspace_id, object_id) -> None:
    """The callback given to other apps' event buses (``contacts.events.subscribe``)."""
    if event_name not in _registry:
        # A publisher may announce more than webhooks offer: not an error.
        log.debug("webhooks: ignoring unregistered event %s", event_name)
        return
    try:
        emit(event_name, workspace_id=workspace_id, object_id=object_id)
    except Exception:
        # The change is committed already; a webhook problem must not turn
        # the user's request into an error. Ids only in the log.
        log.exception("webhooks: could not queue %s for %s", event_name, object_id)
