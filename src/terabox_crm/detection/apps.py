from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DetectionConfig(AppConfig):
    """Detection of attacks and abuse from counters in the shared cache (S7).

    An engine between ``refusals`` and ``communications``
    (docs/architecture.md): accounts, refusals and the domain apps call it;
    it records security events on the audit chain and announces them with
    the ``raised`` signal, which the security dashboard app answers with
    alert digests.
    """

    name = "terabox_crm.detection"
    label = "detection"
    verbose_name = _("Detection")

    def ready(self) -> None:
        from terabox_crm.audit import actions
        from terabox_crm.detection import kinds

        for kind in kinds.ALL:
            actions.register(kind.action, kind.label)
