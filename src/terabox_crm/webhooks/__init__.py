"""Outgoing webhooks (SPEC §2; docs/decisions/0008-api-tokens-and-webhooks.md).

Apps do not call this app: they declare their events on the bus
(``core/bus.py``, their own ``events.py``) and publish them from their
services; webhooks subscribe to the bus (``apps.py``). For tests and
operators' tools, ``emit`` queues a delivery directly::

    from terabox_crm import webhooks

    webhooks.emit("contact.created", workspace_id=ws.pk, object_id=contact.pk)

``emit`` queues one delivery per active endpoint of *that* workspace subscribed
to the event; the HTTP requests go out through the job queue after commit.
"""


def emit(event: str, *, workspace_id, object_id) -> int:
    """Queue ``event`` about ``object_id`` for ``workspace_id``'s endpoints; returns the count."""
    from terabox_crm.webhooks import fanout

    return fanout.emit(event, workspace_id=workspace_id, object_id=object_id)
