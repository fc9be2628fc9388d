"""The deal list as the shared list anatomy describes it (``lists.anatomy``,
docs/ui.md "Lists"). A deal's name is encrypted: it does not sort; a stage
sorts by its place in its pipeline."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.lists.anatomy import BuiltinView, Column, ListSpec

DEALS = ListSpec(
    key="deals",
    url_name="deals:list",
    permission="deals.view",
    default_sort="-updated_at",
    filters=("pipeline", "stage", "owner", "state", "contact", "company"),
    builtin_views=(
        BuiltinView("open", pgettext_lazy("deal view", "Open"), {"state": "open"}),
        BuiltinView("won", pgettext_lazy("deal view", "Won"), {"state": "won"}),
        BuiltinView("lost", pgettext_lazy("deal view", "Lost"), {"state": "lost"}),
    ),
    columns=(
        Column("name", _("Deal"), required=True),
        Column("stage", _("Stage"), sort="stage__position", nowrap=True),
        Column("amount", _("Amount"), sort="amount", nullable=True, nowrap=True, num=True),
        Column(
            "expected_close_date",
            _("Expected close"),
            sort="expected_close_date",
            nullable=True,
            nowrap=True,
        ),
        Column("owner", pgettext_lazy("record owner", "Owner"), nowrap=True),
        Column("company", _("Company"), default=False),
        Column("contact", _("Contact"), default=False),
        Column("created_at", _("Created"), sort="created_at", nowrap=True, default=False),
        Column("updated_at", _("Updated"), sort="updated_at", nowrap=True),
    ),
)
