from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import events
from terabox_crm.core import policy  # noqa: F401  (registers the foundation's actions)


class CoreConfig(AppConfig):
    name = "terabox_crm.core"
    label = "core"
    verbose_name = _("Workspaces and members")

    def ready(self) -> None:
        events.register("core.workspace.created", _("Workspace created"))
        events.register("core.workspace.settings_changed", _("Workspace settings changed"))
        events.register("core.owner.created", _("Workspace owner created from the command line"))
        events.register("core.invitation.created", _("Member invited"))
        events.register("core.invitation.revoked", _("Invitation revoked"))
        events.register("core.invitation.resent", _("Invitation sent again"))
        events.register("core.invitation.accepted", _("Invitation accepted"))
        events.register("core.member.role_changed", _("Member role changed"))
        events.register("core.member.capabilities_changed", _("Member capabilities changed"))
        events.register("core.member.removed", _("Member removed"))
        events.register("core.member.left", _("Member left the workspace"))
        events.register("core.member.team_changed", _("Member moved to another team"))
        events.register("core.team.created", _("Team created"))
        events.register("core.team.renamed", _("Team renamed"))
        events.register("core.team.deleted", _("Team deleted"))
        events.register("core.workspace.record_visibility_changed", _("Record visibility changed"))
        # Key operations are operator actions (S4), run from core (core.rotation) and
        # the prefix-search job: on the workspace's chain for a workspace scope, on
        # the system chain for the system scope.
        events.register("crypto.keys.rotated", _("Data encryption key rotated"))
        events.register(
            "crypto.keys.reencrypted", _("Data re-encrypted under the new encryption key")
        )
        events.register("crypto.keys.destroyed", _("Unused old encryption key destroyed"))
        events.register("crypto.search.prefixes_built", _("Prefix search terms of names built"))
        events.register("crypto.search.prefixes_deleted", _("Prefix search terms of names deleted"))
        # Security events (S7). core owns the policy, so it owns the denial event
        # every app records through core.decorators / core.acting.
        events.register("security.permission.denied", _("Permission denied"))
        events.register(
            "security.request.method_refused",
            _("Request with a method outside HTTP's standard ones refused"),
        )
        events.register(
            "security.invitation.refused",
            _("Invitation refused (expired, revoked, already used or for another address)"),
        )
        events.register("security.request.invalid", _("Tampered or malformed request refused"))
        events.register(
            "security.request.foreign_user_id",
            _("Repeated user ids that are not members of the workspace (probing)"),
        )
        events.register("security.request.too_deep", _("Request body nested too deeply refused"))
