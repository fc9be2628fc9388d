from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """Versioned privacy and security policies (P10, P11, S10): the bottom of
    the privacy engine layer. Installation-wide, not per workspace: the public
    policy pages speak for the whole installation."""

    name = "terabox_crm.policies"
    label = "policies"
    verbose_name = _("Policies")
