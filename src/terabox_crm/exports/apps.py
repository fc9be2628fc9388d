from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import RANK, Role


def _own_or_admin(membership, obj) -> bool:
    """Managers and up see their own exports; admins and owners every one."""
    if RANK[membership.role] >= RANK[Role.ADMIN]:
        return True
    if RANK[membership.role] < RANK[Role.MANAGER]:
        return False
    return obj is None or str(getattr(obj, "requested_by_id", "")) == str(membership.user_id)


class ExportsConfig(AppConfig):
    name = "terabox_crm.exports"
    label = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        policy.register(
            "exports.create",
            policy.at_least(Role.MANAGER),
            _(
                "Export contacts, companies, deals, tickets and activities to a file "
                "(after confirming it is you; large exports need an admin's approval)"
            ),
            exposes_personal_data=True,
        )
        policy.register(
            "exports.view",
            _own_or_admin,
            _("See exports and their progress: one's own, or every export for admins"),
        )
        policy.register(
            "exports.approve",
            policy.at_least(Role.ADMIN),
            _("Approve another member's export above the workspace's row threshold"),
            exposes_personal_data=True,
        )
        policy.register(
            "exports.settings",
            policy.at_least(Role.OWNER),
            _("Set how many rows an export may have before an admin must approve it"),
        )
        for action, label in (
            ("exports.export.requested", _("Export requested")),
            ("exports.export.counted", _("Export counted through the purpose gate")),
            ("exports.export.approved", _("Export approved")),
            ("exports.export.completed", _("Export file prepared")),
            ("exports.export.downloaded", _("Export downloaded")),
            ("exports.export.expired", _("Export expired and its file deleted")),
            ("exports.export.failed", _("Export failed after its retries")),
            ("exports.export.resumed", _("Export taken up again after its job was lost")),
            ("exports.settings.changed", _("Export settings changed")),
            ("security.export.download_refused", _("Export download refused (used or expired)")),
            ("security.export.approval_refused", _("Export approval refused (own export)")),
        ):
            actions.register(action, label)
