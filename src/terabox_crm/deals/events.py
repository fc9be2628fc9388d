"""Domain events of deals, published after commit to whoever subscribed
(webhooks). Subscribers get ``(event_name, workspace_id, object_id)`` — ids
only, so no personal data travels through queues."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Subscriber = Callable[[str, str, str], None]
_subscribers: list[Subscriber] = []


def subscribe(callback: Subscriber) -> None:
    if callback not in _subscribers:
        _subscribers.append(callback)


def publish_on_commit(event: str, *, workspace_id, object_id) -> None:
    def deliver() -> None:
        for callback in list(_subscribers):
            callback(event, str(workspace_id), str(object_id))

    transaction.on_commit(deliver)
