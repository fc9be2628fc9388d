from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "terabox_crm.communications"
    label = "communications"
