from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "terabox_crm.web"
    label = "web"
