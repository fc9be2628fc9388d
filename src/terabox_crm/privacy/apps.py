from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import Capability, Role


def _privacy_officer_or(role: str):
    """Privacy officers, or ``role`` and above."""
    return policy.at_least(role, or_capability=Capability.PRIVACY_OFFICER)


def _records_rule(membership, obj) -> bool:
    """Receipt and provision records (P4): admins, privacy officers, auditors."""
    return (
        policy.at_least(Role.ADMIN, or_capability=Capability.AUDITOR)(membership, obj)
        or Capability.PRIVACY_OFFICER in membership.capabilities
    )


class PrivacyConfig(AppConfig):
    name = "terabox_crm.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        # Every app declares its fields in <app>/inventory.py; import them all
        # here so the inventory is complete whichever module is loaded first.
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        from terabox_crm.core.models import Workspace
        from terabox_crm.privacy import services

        for config in apps.get_app_configs():
            if config.name.startswith("terabox_crm.") and find_spec(f"{config.name}.inventory"):
                import_module(f"{config.name}.inventory")

        # The record of processing lists the purposes with their basis and
        # the third parties of the provision records (P2, P4).
        from terabox_crm.privacy import processing

        processing.register()

        # P2: every new workspace starts with the built-in purposes.
        post_save.connect(
            services.on_workspace_saved, sender=Workspace, dispatch_uid="tbx-privacy-purposes"
        )

        policy.register(
            "privacy.inventory.view",
            policy.at_least(Role.VIEWER),
            _("See which personal data the CRM stores, why, for how long and how it is protected"),
        )
        policy.register(
            "privacy.purposes.view",
            policy.at_least(Role.VIEWER),
            _("See the purposes personal data is used for and their lawful basis"),
        )
        policy.register(
            "privacy.purposes.manage",
            policy.at_least(Role.ADMIN, or_capability=Capability.PRIVACY_OFFICER),
            _("Add purposes of the workspace's own"),
        )
        policy.register(
            "privacy.consent.view",
            policy.at_least(Role.VIEWER),
            _("See a contact's consent history and its evidence"),
            exposes_personal_data=True,
        )
        policy.register(
            "privacy.consent.record",
            _privacy_officer_or(Role.MEMBER),
            _("Record that a contact granted or withdrew consent"),
        )
        policy.register(
            "privacy.restriction.set",
            _privacy_officer_or(Role.MANAGER),
            _("Restrict the use of a contact's data"),
        )
        policy.register(
            "privacy.restriction.lift",
            policy.at_least(Role.OWNER, or_capability=Capability.PRIVACY_OFFICER),
            _("Lift a restriction of use (with step-up)"),
        )
        policy.register(
            "privacy.records.view",
            _records_rule,
            _("List third-party receipt and provision records"),
            exposes_personal_data=True,
        )
        for action, label in (
            ("privacy.purpose.created", _("Purpose added")),
            ("privacy.consent.granted", _("Consent recorded")),
            ("privacy.consent.withdrawn", _("Consent withdrawal recorded")),
            ("privacy.consent.evidence_read", _("Consent evidence file read")),
            ("privacy.restriction.set", _("Use of a contact's data restricted")),
            ("privacy.restriction.lifted", _("Restriction of use lifted")),
            ("privacy.receipt.recorded", _("Receipt from a third party recorded")),
            ("privacy.provision.recorded", _("Provision to a third party recorded")),
            ("privacy.gate.refused", _("Use of personal data refused for a purpose")),
        ):
            actions.register(action, label)
