"""Personal-data inventory of the email outbox (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for field in ("to", "subject", "body_text", "body_html"):
    personal(
        "communications.OutboxEmail",
        field,
        category=Category.COMMUNICATION,
        purposes=(Purpose.COMMUNICATION, Purpose.NOTICES, Purpose.SECURITY),
        retention="delivery",
        note=_("encrypted under the recipient's key while waiting; blanked once delivered"),
    )
non_personal(
    "communications.OutboxEmail",
    "kind",
    "status",
    "last_error",
    why="template name, delivery status, error class name",
)
