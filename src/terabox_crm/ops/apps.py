from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions


class OpsConfig(AppConfig):
    name = "terabox_crm.ops"
    label = "ops"

    def ready(self) -> None:
        actions.register("ops.demo.seeded", _("Demo workspace created"))
        actions.register("ops.demo.password_reset", _("Demo owner password reset at start"))
