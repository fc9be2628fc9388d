from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The data inventory's registry (P1): an app only so that its labels'
    translations (``locale/``) load."""

    name = "terabox_crm.inventory"
    label = "inventory"
