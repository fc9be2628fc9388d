from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "terabox_crm.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from terabox_crm.accounts import not_me
        from terabox_crm.audit import actions
        from terabox_crm.core import evidence, policy
        from terabox_crm.core.roles import Capability, Role
        from terabox_crm.incidents import checks, kinds, listing, services
        from terabox_crm.lists import anatomy

        anatomy.register(listing.INCIDENTS)

        privacy_admin = policy.at_least(Role.ADMIN, or_capability=Capability.PRIVACY_OFFICER)
        policy.register(
            "incidents.view",
            privacy_admin,
            _("See the incident register: what happened, who is affected, the report deadlines"),
            exposes_personal_data=True,
        )
        policy.register(
            "incidents.manage",
            privacy_admin,
            _("Open and change incidents, add to their timeline and review who is affected"),
            exposes_personal_data=True,
        )
        policy.register(
            "incidents.notify",
            privacy_admin,
            _("Notify the people affected by an incident and publish its public notice"),
            exposes_personal_data=True,
        )
        for action, label in (
            ("incidents.incident.created", _("Incident opened")),
            ("incidents.incident.drafted", _('Incident drafted from a "this wasn\'t me" report')),
            ("incidents.incident.updated", _("Incident changed")),
            ("incidents.timeline.added", _("Incident timeline entry added")),
            (
                "incidents.affected.computed",
                _("Who an incident affects computed from the audit trail"),
            ),
            ("incidents.affected.reviewed", _("Who an incident affects reviewed")),
            ("incidents.campaign.sent", _("People affected by an incident notified")),
            ("incidents.notification.refused", _("Incident notification not sent (purpose gate)")),
            ("incidents.notice.published", _("Incident notice published")),
            ("incidents.notice.withdrawn", _("Incident notice withdrawn")),
            ("incidents.report.viewed", _("Incident report draft opened")),
            ("incidents.clock.reminded", _("Incident report deadline reminded")),
        ):
            actions.register(action, label)
        kinds.register_all()
        not_me.register("incidents", services.draft_from_report)
        evidence.register_check("incidents", checks.findings, scoped=True)
