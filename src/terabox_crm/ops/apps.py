from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "terabox_crm.ops"
    label = "ops"
