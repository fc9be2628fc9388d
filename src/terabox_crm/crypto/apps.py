from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "terabox_crm.crypto"
    label = "crypto"
    verbose_name = "Field encryption and keys"
