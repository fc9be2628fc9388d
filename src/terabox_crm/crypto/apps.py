from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CryptoConfig(AppConfig):
    name = "terabox_crm.crypto"
    label = "crypto"
    verbose_name = _("Field encryption and keys")

    def ready(self) -> None:
        from terabox_crm.audit import actions

        # Key operations are operator actions (S4): on the workspace's chain
        # for a workspace scope, on the system chain for the system scope.
        actions.register("crypto.keys.rotated", _("Data encryption key rotated"))
        actions.register(
            "crypto.keys.reencrypted", _("Data re-encrypted under the new encryption key")
        )
        actions.register("crypto.keys.destroyed", _("Unused old encryption key destroyed"))
        actions.register("crypto.search.prefixes_built", _("Prefix search terms of names built"))
        actions.register(
            "crypto.search.prefixes_deleted", _("Prefix search terms of names deleted")
        )
