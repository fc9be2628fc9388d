from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "terabox_crm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from terabox_crm.audit import events

        events.register("accounts.login.succeeded", _("Signed in"))
        events.register("accounts.logout", _("Signed out"))
        events.register("security.login.failed", _("Sign-in failed"))
