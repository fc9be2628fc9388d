"""The domain events of deals (declared on the bus in ``apps.py``;
``core/bus.py`` says how they travel). Webhooks offer them by these names and
labels; a delivery carries the deal's id only (P1)."""

from django.utils.translation import pgettext_lazy

from terabox_crm.core.bus import Event

DECLARED = (
    Event("deal.created", pgettext_lazy("webhook event", "Deal created"), "deals.deal"),
    # Any change, a stage change included (which also publishes deal.stage_changed).
    Event("deal.updated", pgettext_lazy("webhook event", "Deal updated"), "deals.deal"),
    Event("deal.deleted", pgettext_lazy("webhook event", "Deal deleted"), "deals.deal"),
    Event(
        "deal.stage_changed",
        pgettext_lazy("webhook event", "Deal moved to another stage"),
        "deals.deal",
    ),
)
