"""Personal-data inventory of support tickets (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for model, field in (
    ("support.Ticket", "subject"),
    ("support.Ticket", "description"),
    ("support.TicketMessage", "body"),
):
    personal(
        model,
        field,
        category=Category.COMMUNICATION,
        purposes=(Purpose.SUPPORT,),
        retention="account",
        note=_("what the customer asked and what we answered"),
    )
non_personal("support.Ticket", "status", "priority", why="status and priority codes")
