from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityDashConfig(AppConfig):
    """The security dashboard and the alert digests (S7).

    A feature app: it reads the audit trail's security events for the chart,
    and answers the detection engine's ``raised`` signal by emailing the
    admins a rate-limited digest (``alerts``). The engine below never imports
    it (docs/architecture.md).
    """

    name = "terabox_crm.securitydash"
    label = "securitydash"
    verbose_name = _("Security dashboard")

    def ready(self) -> None:
        from terabox_crm.core.evidence import register_check
        from terabox_crm.detection.signals import raised
        from terabox_crm.securitydash import alerts, report

        raised.connect(alerts.on_raised, dispatch_uid="securitydash.alerts")
        register_check("detection", report.detection_findings, scoped=True)
