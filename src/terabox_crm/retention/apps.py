from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import Capability, Role


class RetentionConfig(AppConfig):
    name = "terabox_crm.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        # Every app declares its retention targets in <app>/retention.py
        # (P5); the engines below this layer have theirs in engines.py.
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        import_module("terabox_crm.retention.engines")
        for config in apps.get_app_configs():
            if (
                config.name.startswith("terabox_crm.")
                and config.name != self.name
                and find_spec(f"{config.name}.retention")
            ):
                import_module(f"{config.name}.retention")

        # The record of processing shows the rules as they run (P5, P10).
        from terabox_crm.policies import processing as record
        from terabox_crm.retention import processing

        record.set_retention_source(processing.rules_by_category)

        privacy_admin = policy.at_least(Role.ADMIN, or_capability=Capability.PRIVACY_OFFICER)
        policy.register(
            "retention.rules.view",
            privacy_admin,
            _("See the retention rules and what the last runs removed"),
        )
        policy.register(
            "retention.rules.change",
            privacy_admin,
            _("Change how long each kind of data is kept and what happens to it then"),
        )
        policy.register(
            "retention.holds.view",
            policy.at_least(Role.VIEWER),
            _("See whether a contact is under legal hold"),
        )
        policy.register(
            "retention.holds.change",
            privacy_admin,
            _("Put a contact under legal hold or lift the hold"),
            exposes_personal_data=True,
        )
        for action, label in (
            ("retention.rule.changed", _("Retention rule changed")),
            ("retention.hold.set", _("Legal hold set")),
            ("retention.hold.lifted", _("Legal hold lifted")),
            ("retention.batch.applied", _("Retention applied to a batch of rows")),
            ("retention.run.finished", _("Retention run finished")),
        ):
            actions.register(action, label)
