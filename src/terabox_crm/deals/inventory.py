"""Personal-data inventory of deals (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "deals.Deal",
    "name",
    category=Category.ACTIVITY,
    purposes=(Purpose.COMMUNICATION, Purpose.SUPPORT),
    retention="account",
    note=_("deal names often name the customer; token-indexed for search"),
)
personal(
    "deals.Deal",
    "close_reason",
    category=Category.ACTIVITY,
    purposes=(Purpose.COMMUNICATION,),
    retention="account",
    note=_("why a deal was won or lost, free text that may name the customer"),
)
non_personal("deals.Deal", "currency", why="ISO 4217 code")
non_personal("deals.Pipeline", "name", why="name of a sales process")
non_personal("deals.Stage", "name", "kind", why="name and kind of a pipeline stage")
