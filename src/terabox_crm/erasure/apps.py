from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_EVENTS = {
    "privacy.subject.erased": _("Person erased"),
    "privacy.subject.reapplied": _("Erasure re-applied after a restore"),
    "privacy.suppression.matched": _("An erased person's address was entered again"),
}


def _privacy_officer(membership, obj) -> bool:
    from terabox_crm.core.roles import Capability

    return Capability.PRIVACY_OFFICER in membership.capabilities


class ErasureConfig(AppConfig):
    name = "terabox_crm.erasure"
    label = "erasure"
    verbose_name = _("Erasure")

    def ready(self) -> None:
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        from terabox_crm.audit import actions
        from terabox_crm.core import policy
        from terabox_crm.erasure import engines, selectors
        from terabox_crm.privacy import gate

        for action, label in AUDIT_EVENTS.items():
            actions.register(action, label)
        policy.register(
            "privacy.erase",
            _privacy_officer,
            _("Erase a person everywhere (privacy officers only; needs a fresh sign-in check)"),
        )
        engines.register_engines()
        # The purpose gate (P3) refuses an erased person as "erased" (P8).
        gate.register_refusal_source("erased", selectors.erased_among)
        # Every app's part of an erasure lives in <app>/erasure.py (P8): import
        # them all here, as privacy/apps.py does for <app>/inventory.py.
        for config in apps.get_app_configs():
            if (
                config.name.startswith("terabox_crm.")
                and config.name != self.name
                and find_spec(f"{config.name}.erasure")
            ):
                import_module(f"{config.name}.erasure")
