"""Outgoing webhooks (issue 3, point 6).

The public API other apps call::

    from terabox_crm import webhooks

    webhooks.register_event("invoice.paid", _("Invoice paid"))  # in AppConfig.ready()
    webhooks.emit("invoice.paid", workspace_id=ws.pk, object_id=invoice.pk)

``emit`` queues one delivery per active endpoint of *that* workspace subscribed
to the event; the HTTP requests go out through the job queue after commit.
"""


def emit(event: str, *, workspace_id, object_id) -> int:
    """Queue ``event`` about ``object_id`` for ``workspace_id``'s endpoints; returns the count."""
    from terabox_crm.webhooks import events

    return events.emit(event, workspace_id=workspace_id, object_id=object_id)


def register_event(name: str, label) -> None:
    """Declare an event type (a dotted name and its lazy ja/en label)."""
    from terabox_crm.webhooks import events

    events.register(name, label)
