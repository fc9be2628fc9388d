from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.audit import actions
from terabox_crm.core import bus, policy, records
from terabox_crm.core.roles import Role
from terabox_crm.support import events


class SupportConfig(AppConfig):
    name = "terabox_crm.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self) -> None:
        _register_audit_targets()
        from terabox_crm.contacts.selectors import register_search_provider
        from terabox_crm.lists import anatomy
        from terabox_crm.support import listing
        from terabox_crm.support.selectors import search_page_rows

        anatomy.register(listing.TICKETS)

        register_search_provider(search_page_rows)
        policy.register(
            "tickets.view",
            records.read_rule,
            _("See support tickets and their messages"),
            exposes_personal_data=True,
        )
        policy.register("tickets.add", policy.at_least(Role.MEMBER), _("Open support tickets"))
        policy.register(
            "tickets.change",
            records.member_write_rule,
            _("Reply to, assign and change tickets one owns, is assigned or shares with the team"),
        )
        for action, label in (
            ("support.ticket.opened", _("Ticket opened")),
            ("support.ticket.replied", _("Ticket answered")),
            ("support.ticket.note_added", _("Internal note added to a ticket")),
            ("support.ticket.status_changed", _("Ticket status changed")),
            ("support.ticket.updated", _("Ticket priority or assignee changed")),
            ("support.ticket.requester_changed", _("Ticket requester changed")),
        ):
            actions.register(action, label)
        bus.declare(events.DECLARED)


def _register_audit_targets() -> None:
    """The audit trail names these records and links to them (audit/targets.py)."""
    from terabox_crm.audit import targets
    from terabox_crm.core import records
    from terabox_crm.support.models import Ticket

    targets.register(
        "support.ticket",
        label=pgettext_lazy("record type", "Ticket"),
        resolve=records.target_resolver(
            Ticket, "support:ticket", lambda ticket: f"#{ticket.number} {ticket.subject}"
        ),
    )
