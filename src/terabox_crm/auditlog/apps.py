from django.apps import AppConfig


class AuditLogConfig(AppConfig):
    """The audit trail's screens and API (S5): the trail, security events and
    one event's detail, read through the permission policy. The trail itself
    (chain, signing, verification) is the audit engine below core; its
    screens sit above core and the API base (docs/architecture.md)."""

    name = "terabox_crm.auditlog"
    label = "auditlog"
