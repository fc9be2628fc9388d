from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy  # noqa: F401  (registers the foundation's actions)


class CoreConfig(AppConfig):
    name = "terabox_crm.core"
    label = "core"
    verbose_name = _("Workspaces and members")

    def ready(self) -> None:
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
        # Key operations are operator actions (S4), run from core (core.rotation) and
        # the prefix-search job: on the workspace's chain for a workspace scope, on
        # the system chain for the system scope.
        actions.register("crypto.keys.rotated", _("Data encryption key rotated"))
        actions.register(
            "crypto.keys.reencrypted", _("Data re-encrypted under the new encryption key")
        )
        actions.register("crypto.keys.destroyed", _("Unused old encryption key destroyed"))
        actions.register("crypto.search.prefixes_built", _("Prefix search terms of names built"))
        actions.register(
            "crypto.search.prefixes_deleted", _("Prefix search terms of names deleted")
        )
        actions.register("crypto.search.reindexed", _("Search terms of names rebuilt"))
        # Security events (S7). core owns the policy, so it owns the denial event
        # every app records through the one guard (core.guards).
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
