from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "terabox_crm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from terabox_crm.accounts import audit, tracking

        audit.register_all()
        user_logged_in.connect(tracking.on_login, dispatch_uid="accounts.track_login")
        user_logged_out.connect(tracking.on_logout, dispatch_uid="accounts.track_logout")
