from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """Versioned privacy and security policies (P10, P11, S10): the bottom of
    the privacy engine layer. Installation-wide, not per workspace: the public
    policy pages speak for the whole installation."""

    name = "terabox_crm.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self) -> None:
        from terabox_crm.audit import actions
        from terabox_crm.policies import config, notices
        from terabox_crm.policies.services import AUDIT_EVENTS

        for action, label in AUDIT_EVENTS.items():
            actions.register(action, label)
        # A broken sub-processor register stops start-up with a clear message.
        config.check()
        notices.register_builtin_audiences()
