from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import evidence


class BackupsConfig(AppConfig):
    name = "terabox_crm.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from terabox_crm.backups import checks

        # Installation-wide events on the system chain (S5, S11).
        for action, label in (
            ("backup.created", _("Backup created")),
            ("backup.restored", _("Backup restored")),
            ("backup.pruned", _("Old backups removed")),
            ("backup.restore_drill", _("Restore drill run")),
            ("security.backup.rejected", _("Backup archive failed its integrity check")),
            ("security.backup.restore_refused", _("Restore over a non-empty database refused")),
        ):
            actions.register(action, label)
        evidence.register_check("backups", checks.findings)
