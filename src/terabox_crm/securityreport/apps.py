from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityReportConfig(AppConfig):
    """The live security report (S8, S10): the checks about keys, two-factor
    coverage, stale accounts and tokens, the audit chain and overdue DSRs,
    registered with ``core.evidence``; the owners' page and the data the
    ``terabox-crm security report`` command prints. Other apps register their
    own checks (TLS in ops, backups, incidents) with the same registry and the
    page shows whatever is registered."""

    name = "terabox_crm.securityreport"
    label = "securityreport"
    verbose_name = _("Security report")

    def ready(self) -> None:
        from terabox_crm.core import policy
        from terabox_crm.core.roles import Role
        from terabox_crm.securityreport import checks

        policy.register(
            "security.report",
            policy.at_least(Role.OWNER),
            _(
                "Read the installation's security report: certificate, keys, two-factor "
                "coverage, stale accounts and tokens, audit chain, overdue requests"
            ),
        )
        checks.register_all()
