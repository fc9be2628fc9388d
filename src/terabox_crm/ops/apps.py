from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions


class OpsConfig(AppConfig):
    name = "terabox_crm.ops"
    label = "ops"

    def ready(self) -> None:
        actions.register("ops.demo.seeded", _("Demo workspace created"))
        actions.register("ops.demo.password_reset", _("Demo owner password reset at start"))
        # Master-key rotation (S3, ops/keys.py): begun, and every key re-wrapped.
        actions.register("crypto.master_key.rotation_started", _("Master key rotation started"))
        actions.register("crypto.master_key.rotated", _("Master key rotated"))
        # The security report's TLS section (S8): ops owns the certificate.
        from terabox_crm.ops import security_checks

        security_checks.register()
