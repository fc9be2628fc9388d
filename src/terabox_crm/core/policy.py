"""The permission policy: one function decides every access (S6).

``can(membership, action, obj)`` is called by views (``web.mixins``), the API
permission class and jobs alike. Actions are dotted names; each maps to a rule
over the acting membership's role and capabilities. Unknown actions are denied,
so a typo fails closed. Object-level rules (ownership, team) are added by the
domain apps through ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from terabox_crm.core.roles import RANK, Capability, Role

Rule = Callable[[object, object | None], bool]


@dataclass(frozen=True)
class Permission:
    action: str
    rule: Rule
    help_text: str
    exposes_personal_data: bool = False


_registry: dict[str, Permission] = {}


def at_least(role: str, *, or_capability: str | None = None) -> Rule:
    def rule(membership, obj) -> bool:
        if RANK[membership.role] >= RANK[role]:
            return True
        return or_capability is not None and or_capability in membership.capabilities

    rule.__name__ = f"at_least_{role}"
    return rule


def register(
    action: str, rule: Rule, help_text: str, *, exposes_personal_data: bool = False
) -> None:
    if action in _registry:
        raise ValueError(f"permission {action!r} registered twice")
    _registry[action] = Permission(action, rule, str(help_text), exposes_personal_data)


def permissions() -> dict[str, Permission]:
    return dict(_registry)


def can(membership, action: str, obj=None) -> bool:
    """True when ``membership`` may perform ``action`` (on ``obj``). None → denied."""
    if membership is None:
        return False
    permission = _registry.get(action)
    if permission is None:
        return False
    if obj is not None and getattr(obj, "workspace_id", membership.workspace_id) != (
        membership.workspace_id
    ):
        return False
    return bool(permission.rule(membership, obj))


def can_grant_role(membership, role: str) -> bool:
    """A role grants only roles below its own; owners may also make owners."""
    if membership is None:
        return False
    if membership.role == Role.OWNER:
        return True
    return RANK[role] < RANK[membership.role] and can(membership, "members.manage")


def can_grant_capability(membership, capability: str) -> bool:
    return membership is not None and RANK[membership.role] >= RANK[Role.ADMIN]


# The foundation's own permissions; domain apps register theirs in ready().
register("workspace.view", at_least(Role.VIEWER), _("Open the workspace"))
register(
    "workspace.settings", at_least(Role.OWNER), _("Change workspace settings and security rules")
)
register("members.view", at_least(Role.VIEWER), _("See the members of the workspace"))
register(
    "members.manage",
    at_least(Role.ADMIN),
    _("Invite members, change roles and remove members (below one's own role)"),
    exposes_personal_data=True,
)
register(
    "audit.view",
    at_least(Role.ADMIN, or_capability=Capability.AUDITOR),
    _("Read the audit trail, including who did what from which address"),
    exposes_personal_data=True,
)
register(
    "security.view",
    at_least(Role.ADMIN, or_capability=Capability.AUDITOR),
    _("Read security events (failed sign-ins, throttling, alerts)"),
    exposes_personal_data=True,
)
