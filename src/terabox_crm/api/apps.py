from django.apps import AppConfig

from terabox_crm.api import events


class ApiConfig(AppConfig):
    name = "terabox_crm.api"
    label = "api"

    def ready(self) -> None:
        events.register_all()
