from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "terabox_crm.api"
    label = "api"
