from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "terabox_crm.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Every app declares its fields in <app>/inventory.py; import them all
        # here so the inventory is complete whichever module is loaded first.
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        for config in apps.get_app_configs():
            if config.name.startswith("terabox_crm.") and find_spec(f"{config.name}.inventory"):
                import_module(f"{config.name}.inventory")
