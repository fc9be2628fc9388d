from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import Capability, Role


def _privacy_officer(membership, obj) -> bool:
    return Capability.PRIVACY_OFFICER in membership.capabilities


class DsrConfig(AppConfig):
    name = "terabox_crm.dsr"
    label = "dsr"
    verbose_name = _("Data-subject requests")

    def ready(self) -> None:
        # Domain apps register subject finders and access-export collectors in
        # <app>/disclosure.py; import them all so the registry is complete.
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        for config in apps.get_app_configs():
            if config.name.startswith("terabox_crm.") and find_spec(f"{config.name}.disclosure"):
                import_module(f"{config.name}.disclosure")

        policy.register(
            "dsr.view",
            _privacy_officer,
            _("Read the data-subject requests of the workspace, with the requester's address"),
            exposes_personal_data=True,
        )
        policy.register(
            "dsr.handle",
            _privacy_officer,
            _(
                "Answer data-subject requests: record one received by email, phone, post or in "
                "person, assign, change status, reply to the person and send them the access "
                "export of everything held on them"
            ),
            exposes_personal_data=True,
        )
        policy.register(
            "dsr.settings",
            policy.at_least(Role.OWNER, or_capability=Capability.PRIVACY_OFFICER),
            _("Set the days to answer a request and the contact block of the request page"),
        )
        for action, label in (
            ("dsr.submission.verified", _("Data-subject request verified by its sender")),
            ("dsr.request.received", _("Data-subject request received")),
            (
                "dsr.request.recorded",
                _("Data-subject request recorded by staff (email, phone, post or in person)"),
            ),
            ("dsr.request.status_changed", _("Data-subject request status changed")),
            ("dsr.request.assigned", _("Data-subject request assigned")),
            ("dsr.request.fulfilled", _("Data-subject request carried out for a person")),
            ("dsr.request.replied", _("Reply sent to a data subject")),
            ("dsr.request.reminded", _("Reminder sent for a data-subject request")),
            ("dsr.settings.changed", _("Data-subject request settings changed")),
            ("dsr.export.requested", _("Access export requested")),
            ("dsr.export.sent", _("Access export sent to the person")),
            ("dsr.export.ready", _("Access export ready for an officer to send by post")),
            ("dsr.export.downloaded", _("Access export downloaded")),
            ("dsr.export.expired", _("Access export expired and its key destroyed")),
            ("dsr.export.failed", _("Access export failed after its retries")),
            ("dsr.export.resumed", _("Access export taken up again after its job was lost")),
            ("dsr.export.retried", _("Failed access export tried again")),
            ("security.dsr.throttled", _("Too many data-subject requests")),
            ("security.dsr.link_refused", _("Invalid data-subject request link used")),
            (
                "security.dsr.export_fetch_refused",
                _("Staff copy of an access export refused (fetched already or expired)"),
            ),
        ):
            actions.register(action, label)
