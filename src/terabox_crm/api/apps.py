from django.apps import AppConfig

from terabox_crm.api import audit


class ApiConfig(AppConfig):
    name = "terabox_crm.api"
    label = "api"

    def ready(self) -> None:
        from terabox_crm.accounts import not_me as accounts_not_me
        from terabox_crm.api import not_me

        audit.register_all()
        accounts_not_me.register("api.tokens", not_me.revoke_tokens)
