from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_EVENTS = {
    "webhooks.endpoint.created": _("Webhook endpoint added"),
    "webhooks.endpoint.updated": _("Webhook endpoint changed"),
    "webhooks.endpoint.secret_rotated": _("Webhook signing secret rotated"),
    "webhooks.endpoint.deleted": _("Webhook endpoint deleted"),
    "webhooks.delivery.redelivered": _("Webhook delivery sent again"),
    "webhooks.endpoint.tested": _("Webhook test event sent"),
}


# Apps whose ``<app>.events.subscribe(callback)`` announces committed changes.
PUBLISHERS = ("contacts", "deals")


class WebhooksConfig(AppConfig):
    name = "terabox_crm.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from importlib.util import find_spec

        from terabox_crm.audit import actions
        from terabox_crm.core import policy
        from terabox_crm.core.roles import Role

        for action, label in AUDIT_EVENTS.items():
            actions.register(action, label)
        policy.register(
            "webhooks.manage",
            policy.at_least(Role.ADMIN),
            _("Add, change and delete webhook endpoints and see their delivery history"),
        )
        # Domain apps publish their events on commit through a subscribe()
        # hook of their own; an app that is not (yet) there is skipped.
        from importlib import import_module

        from terabox_crm.webhooks.events import on_domain_event

        for app in PUBLISHERS:
            if find_spec(f"terabox_crm.{app}") and find_spec(f"terabox_crm.{app}.events"):
                module = import_module(f"terabox_crm.{app}.events")
                if hasattr(module, "subscribe"):
                    module.subscribe(on_domain_event)
