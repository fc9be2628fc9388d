from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "terabox_crm.audit"
    label = "audit"
