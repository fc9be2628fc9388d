"""The domain events of support tickets (declared on the bus in ``apps.py``;
``core/bus.py`` says how they travel). Webhooks offer them by these names and
labels; a delivery carries the ticket's id only (P1), never a message."""

from django.utils.translation import pgettext_lazy

from terabox_crm.core.bus import Event

DECLARED = (
    Event("ticket.created", pgettext_lazy("webhook event", "Ticket opened"), "support.ticket"),
    # A reply to the requester; internal notes are not announced.
    Event("ticket.replied", pgettext_lazy("webhook event", "Ticket answered"), "support.ticket"),
    Event(
        "ticket.status_changed",
        pgettext_lazy("webhook event", "Ticket status changed"),
        "support.ticket",
    ),
    # Priority or assignee changed (a new assignee also publishes ticket.assigned).
    Event(
        "ticket.updated",
        pgettext_lazy("webhook event", "Ticket priority or assignee changed"),
        "support.ticket",
    ),
    Event(
        "ticket.assigned",
        pgettext_lazy("webhook event", "Ticket assignee changed"),
        "support.ticket",
    ),
)
