from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "terabox_crm.api"
    label = "api"

    def ready(self) -> None:
        from terabox_crm.api import audit

        audit.register_all()
