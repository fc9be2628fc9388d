from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import RANK, Role


def _own_or_admin(membership, obj) -> bool:
    """Managers and up see their own imports; admins and owners every one."""
    if RANK[membership.role] >= RANK[Role.ADMIN]:
        return True
    if RANK[membership.role] < RANK[Role.MANAGER]:
        return False
    return obj is None or str(getattr(obj, "requested_by_id", "")) == str(membership.user_id)


class ImportsConfig(AppConfig):
    name = "terabox_crm.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Managers and up, as for exports: a bulk intake of personal data
        # (docs/security.md, "Imports"); each row still needs the create or
        # edit permission of its record.
        policy.register(
            "imports.create",
            policy.at_least(Role.MANAGER),
            _(
                "Import contacts and companies from a CSV or Excel file "
                "(each row also needs the right to create or edit its record)"
            ),
            exposes_personal_data=True,
        )
        policy.register(
            "imports.view",
            _own_or_admin,
            _("See imports and their results: one's own, or every import for admins"),
        )
        for action, label in (
            ("imports.import.uploaded", _("Import file uploaded")),
            ("imports.import.started", _("Import started")),
            ("imports.import.checked", _("Import dry run finished")),
            ("imports.import.finished", _("Import finished")),
            ("imports.import.failed", _("Import failed")),
            ("imports.import.resumed", _("Import queued again after its job was lost")),
            ("imports.import.expired", _("Import file deleted unused")),
        ):
            actions.register(action, label)
