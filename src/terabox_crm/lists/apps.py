from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    """The list anatomy shared by the record lists (contacts, companies,
    deals, tickets, tasks): sorting, capped counts, bulk actions, remembered
    columns and saved views (docs/ui.md "Lists")."""

    name = "terabox_crm.lists"
    label = "lists"
    verbose_name = _("Lists")

    def ready(self) -> None:
        from terabox_crm.lists import inventory  # noqa: F401
