from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "terabox_crm.core"
    label = "core"
