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
        from terabox_crm.core import policy
        from terabox_crm.core.roles import RANK, Capability, Role
        from terabox_crm.policies import config, notices
        from terabox_crm.policies.services import AUDIT_EVENTS

        for action, label in AUDIT_EVENTS.items():
            actions.register(action, label)

        def officers_and_auditors(membership, obj) -> bool:
            return RANK[membership.role] >= RANK[Role.ADMIN] or bool(
                {Capability.PRIVACY_OFFICER, Capability.AUDITOR} & set(membership.capabilities)
            )

        policy.register(
            "policies.processing.view",
            officers_and_auditors,
            _(
                "See and export the record of processing: purposes, data categories, "
                "retention, recipients and sub-processors"
            ),
        )
        # A broken sub-processor register stops start-up with a clear message.
        config.check()
        notices.register_builtin_audiences()
