from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.core import policy
from terabox_crm.core.roles import Role


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

        for config in apps.get_app_configs():
            if config.name.startswith("terabox_crm.") and find_spec(f"{config.name}.inventory"):
                import_module(f"{config.name}.inventory")

        policy.register(
            "privacy.inventory.view",
            policy.at_least(Role.VIEWER),
            _("See which personal data the CRM stores, why, for how long and how it is protected"),
        )
