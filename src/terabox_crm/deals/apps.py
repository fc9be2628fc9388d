from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "terabox_crm.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        from terabox_crm.audit import events
        from terabox_crm.core import policy, records
        from terabox_crm.core.roles import Role
        from terabox_crm.crypto import search_index

        def read(membership, obj) -> bool:
            return obj is None or records.can_read(membership, obj)

        def write(minimum):
            base = policy.at_least(minimum)

            def rule(membership, obj) -> bool:
                if not base(membership, obj):
                    return False
                return obj is None or records.can_edit(membership, obj)

            return rule

        policy.register(
            "deals.view",
            lambda m, obj: policy.at_least(Role.VIEWER)(m, obj) and read(m, obj),
            _("See deals, the board and pipelines"),
            exposes_personal_data=True,
        )
        policy.register("deals.add", write(Role.MEMBER), _("Create deals"))
        policy.register(
            "deals.change",
            write(Role.MEMBER),
            _("Edit and move deals one owns or shares with the team"),
        )
        policy.register("deals.delete", write(Role.MEMBER), _("Delete deals one may edit"))
        policy.register(
            "pipelines.manage",
            policy.at_least(Role.ADMIN),
            _("Create and change pipelines and stages"),
        )
        events.register("deals.pipeline.created", _("Pipeline created"))
        events.register("deals.deal.created", _("Deal created"))
        events.register("deals.deal.updated", _("Deal changed"))
        events.register("deals.deal.stage_changed", _("Deal moved to another stage"))
        events.register("deals.deal.deleted", _("Deal deleted"))
        search_index.register("deals.deal.name", expected_rows=200_000)
