from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DealsConfig(AppConfig):
    name = "terabox_crm.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        _register_audit_targets()
        from terabox_crm.audit import actions
        from terabox_crm.core import bus, policy, records
        from terabox_crm.core.roles import Role
        from terabox_crm.crypto import search_index
        from terabox_crm.deals import events, listing
        from terabox_crm.lists import anatomy

        anatomy.register(listing.DEALS)

        policy.register(
            "deals.view",
            records.read_rule,
            _("See deals, the board and pipelines"),
            exposes_personal_data=True,
        )
        policy.register("deals.add", records.write_rule, _("Create deals"))
        policy.register(
            "deals.change",
            records.write_rule,
            _("Edit and move deals one owns or shares with the team"),
        )
        policy.register("deals.delete", records.write_rule, _("Delete deals one may edit"))
        policy.register(
            "pipelines.manage",
            policy.at_least(Role.ADMIN),
            _("Create and change pipelines and stages"),
        )
        actions.register("deals.pipeline.created", _("Pipeline created"))
        actions.register("deals.pipeline.renamed", _("Pipeline renamed"))
        actions.register("deals.pipeline.deleted", _("Pipeline deleted"))
        actions.register("deals.stage.created", _("Stage added"))
        actions.register("deals.stage.updated", _("Stage changed"))
        actions.register("deals.stage.moved", _("Stage reordered"))
        actions.register("deals.stage.deleted", _("Stage deleted"))
        actions.register("deals.deal.created", _("Deal created"))
        actions.register("deals.deal.updated", _("Deal changed"))
        actions.register("deals.deal.stage_changed", _("Deal moved to another stage"))
        actions.register("deals.deal.deleted", _("Deal deleted"))
        bus.declare(events.DECLARED)
        search_index.register("deals.deal.name", expected_rows=200_000)
        from terabox_crm.contacts.selectors import register_search_provider
        from terabox_crm.crypto import words
        from terabox_crm.deals.selectors import search_page_rows

        register_search_provider(search_page_rows)
        from terabox_crm.deals import locks
        from terabox_crm.deals.models import Deal

        records.register_lock(locks.deal_lock, preload=locks.preload_deal_lock)  # P7

        search_index.register_reindex_source(
            "deals.deal",
            domain="deals.deal.name",
            model=Deal,
            tokens=lambda deal: words.business_terms(deal.name),
        )


def _register_audit_targets() -> None:
    """The audit trail names these records and links to them (audit/targets.py)."""
    from terabox_crm.audit import targets
    from terabox_crm.core import records
    from terabox_crm.deals.models import Deal

    targets.register(
        "deals.deal",
        label=pgettext_lazy("record type", "Deal"),
        resolve=records.target_resolver(Deal, "deals:detail", lambda deal: deal.name),
    )
