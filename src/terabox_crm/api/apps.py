from django.apps import AppConfig

from terabox_crm.api import audit


class ApiConfig(AppConfig):
    name = "terabox_crm.api"
    label = "api"

    def ready(self) -> None:
        audit.register_all()
