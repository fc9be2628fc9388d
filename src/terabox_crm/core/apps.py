from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "terabox_crm.core"
    label = "core"
    verbose_name = _("Workspaces and members")

    def ready(self) -> None:
        from terabox_crm.audit import actions
        from terabox_crm.core import policy  # noqa: F401  (registers the foundation's actions)

        actions.register("core.workspace.created", _("Workspace created"))
        actions.register("core.workspace.settings_changed", _("Workspace settings changed"))
        actions.register("core.owner.created", _("Workspace owner created from the command line"))
        actions.register("core.invitation.created", _("Member invited"))
        actions.register("core.invitation.revoked", _("Invitation revoked"))
        actions.register("core.invitation.resent", _("Invitation sent again"))
        actions.register("core.invitation.accepted", _("Invitation accepted"))
        actions.register("core.member.role_changed", _("Member role changed"))
        actions.register("core.member.capabilities_changed", _("Member capabilities changed"))
        actions.register("core.member.removed", _("Member removed"))
        actions.register("core.member.left", _("Member left the workspace"))
        actions.register("core.member.team_changed", _("Member moved to another team"))
        actions.register("core.team.created", _("Team created"))
        actions.register("core.team.renamed", _("Team renamed"))
        actions.register("core.team.deleted", _("Team deleted"))
        actions.register("core.workspace.record_visibility_changed", _("Record visibility changed"))
        # Security events (S7). core owns the policy, so it owns the denial event
        # every app records through core.decorators / core.services.
        actions.register("security.permission.denied", _("Permission denied"))
        actions.register(
            "security.request.method_refused",
            _("Request with a method outside HTTP's standard ones refused"),
        )
        actions.register(
            "security.invitation.refused",
            _("Invitation refused (expired, revoked, already used or for another address)"),
        )
        actions.register("security.request.invalid", _("Tampered or malformed request refused"))
        actions.register(
            "security.request.foreign_user_id",
            _("Repeated user ids that are not members of the workspace (probing)"),
        )
        actions.register("security.request.too_deep", _("Request body nested too deeply refused"))
