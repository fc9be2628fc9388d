from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.notifications import builtin_kinds


class NotificationsConfig(AppConfig):
    name = "terabox_crm.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        builtin_kinds.register_all()
        actions.register(
            "notifications.retention.purged", _("Old notifications deleted by the retention rule")
        )
