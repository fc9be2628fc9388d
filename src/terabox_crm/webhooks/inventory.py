"""Personal-data inventory of webhooks (P1)."""

from terabox_crm.inventory import non_personal

non_personal(
    "webhooks.Endpoint",
    "url",
    "description",
    "events",
    "secret",
    "purpose",
    "recipient",
    why=(
        "an operator's receiving URL, a label, event names, an encrypted signing key, "
        "a purpose code and the name of the receiving organisation"
    ),
)
non_personal(
    "webhooks.Delivery",
    "event",
    "object_id",
    "payload",
    "status",
    "last_error",
    why="event names, ids, a status and a short error reason; payloads carry ids only",
)
