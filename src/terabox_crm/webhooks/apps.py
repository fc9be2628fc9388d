from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

AUDIT_EVENTS = {
    "webhooks.endpoint.created": _("Webhook endpoint added"),
    "webhooks.endpoint.updated": _("Webhook endpoint changed"),
    "webhooks.endpoint.secret_rotated": _("Webhook signing secret rotated"),
    "webhooks.endpoint.deleted": _("Webhook endpoint deleted"),
    "webhooks.delivery.redelivered": _("Webhook delivery sent again"),
    "webhooks.endpoint.tested": _("Webhook test event sent"),
}


class WebhooksConfig(AppConfig):
    name = "terabox_crm.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from terabox_crm.audit import actions
        from terabox_crm.core import bus, policy
        from terabox_crm.core.roles import Role
        from terabox_crm.webhooks import fanout
        from terabox_crm.webhooks.models import Endpoint

        for action, label in AUDIT_EVENTS.items():
            actions.register(action, label)
        policy.register(
            "webhooks.manage",
            policy.at_least(Role.ADMIN),
            _("Add, change and delete webhook endpoints and see their delivery history"),
        )
        # Every event an app declares on the bus may be chosen by an endpoint;
        # fanout queues the deliveries once the change is committed.
        bus.subscribe_many(fanout.on_domain_events)
        # Which events have an endpoint is cached (``fanout.subscribed_events``);
        # every change of an endpoint makes it read again.
        post_save.connect(fanout.on_endpoint_changed, sender=Endpoint, dispatch_uid="tbx-wh-save")
        post_delete.connect(
            fanout.on_endpoint_changed, sender=Endpoint, dispatch_uid="tbx-wh-delete"
        )
