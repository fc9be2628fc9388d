"""The permission policy: one function decides every access (S6).

``can(membership, action, obj)`` is called by views (``core.decorators``), the
API permission class and jobs alike. Actions are dotted names; each maps to a rule
over the acting membership's role and capabilities. Unknown actions are denied,
so a typo fails closed. Object-level rules (ownership, team, assignee) are added
by the domain apps through ``register``: a rule gets the object too, and the
owned-record rules of ``core.records`` (``read_rule``, ``write_rule``,
``member_write_rule``) answer by role without one and by the record with one.
Services ask ``can(membership, action, record)`` before they write, so the
policy's answer is the one they act on; ``core/tests/test_record_policy_matrix.py``
checks the two agree for every record type, role and visibility setting.

Every registered action has a row in the expected matrix of
``core/tests/test_policy_matrix.py`` (an app may keep its rows in
``<app>/tests/policy_matrix.py``): registering an action without deciding who
may perform it fails the test suite.
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
    help_text: object  # a lazy translation, rendered in the reader's language
    exposes_personal_data: bool = False


_registry: dict[str, Permission] = {}


def at_least(role: str, *, or_capability: str | None = None) -> Rule:
    """Allowed from ``role`` upwards, or to holders of ``or_capability``."""

    def rule(membership, obj) -> bool:
        if RANK[membership.role] >= RANK[role]:
            return True
        return or_capability is not None and or_capability in membership.capabilities

    rule.__name__ = f"at_least_{role}"
    return rule


def register(action: str, rule: Rule, help_text, *, exposes_personal_data: bool = False) -> None:
    """Declare ``action``; ``help_text`` says (translated) what it allows and,
    when it does, that it exposes personal data (pretix's convention)."""
    if action in _registry:
        raise ValueError(f"permission {action!r} registered twice")
    _registry[action] = Permission(action, rule, help_text, exposes_personal_data)


def permissions() -> dict[str, Permission]:
    return dict(_registry)


def _workspace_id_of(obj) -> object | None:
    """The workspace an object belongs to: itself for a workspace, else its
    ``workspace_id``; None for objects outside any workspace."""
    from terabox_crm.core.models import Workspace

    if isinstance(obj, Workspace):
        return obj.pk
    return getattr(obj, "workspace_id", None)


def can(membership, action: str, obj=None) -> bool:
    """True when ``membership`` may perform ``action`` (on ``obj``). None → denied.

    An object of another workspace is always denied, whatever the role: the
    tenant boundary is checked here as well as by the scoped managers.
    """
    if membership is None:
        return False
    permission = _registry.get(action)
    if permission is None:
        return False
    if obj is not None:
        owner = _workspace_id_of(obj)
        if owner is not None and str(owner) != str(membership.workspace_id):
            return False
    return bool(permission.rule(membership, obj))


def can_grant_role(membership, role: str) -> bool:
    """A role grants only roles below its own; owners may also make owners.

    Granting needs ``members.manage`` as well, so only owners and admins grant
    at all: an admin may grant manager, member and viewer.
    """
    if membership is None or role not in RANK:
        return False
    if not can(membership, "members.manage"):
        return False
    if membership.role == Role.OWNER:
        return True
    return RANK[role] < RANK[membership.role]


def grantable_roles(membership) -> list[str]:
    """The roles ``membership`` may hand out, highest first (for role selects)."""
    return [role for role in Role.values if can_grant_role(membership, role)]


def can_grant_capability(membership, capability: str) -> bool:
    """Privacy officer and auditor are handed out by admins and owners."""
    if membership is None or capability not in Capability.values:
        return False
    return can(membership, "members.manage") and RANK[membership.role] >= RANK[Role.ADMIN]


def can_assign_team(membership, target) -> bool:
    """Whether ``membership`` may put the member ``target`` into a team (or take
    them out of one).

    A team decides whose records a member edits and, when the workspace reads
    records by team, whose records they read; so the rank rule of every other
    change to a member applies: owners assign anyone, admins members below them.
    """
    if membership is None or target is None:
        return False
    if not can(membership, "teams.manage", target):
        return False
    if membership.role == Role.OWNER:
        return True
    return RANK[target.role] < RANK[membership.role]


def can_change_member(membership, target) -> bool:
    """Whether ``membership`` may change or remove the member ``target``.

    Nobody changes a member at or above their own rank unless they are an
    owner; owners may change owners, themselves included. The last-owner rule
    is enforced by the services, which see the whole workspace under a lock.
    """
    if membership is None or target is None:
        return False
    if not can(membership, "members.manage", target):
        return False
    if membership.role == Role.OWNER:
        return True
    return RANK[target.role] < RANK[membership.role]


# The foundation's own permissions; domain apps register theirs in ready().
register("workspace.view", at_least(Role.VIEWER), _("Open the workspace"))
register(
    "workspace.settings", at_least(Role.OWNER), _("Change workspace settings and security rules")
)
register("workspace.leave", at_least(Role.VIEWER), _("Leave the workspace (unless the last owner)"))
register(
    "members.view",
    at_least(Role.VIEWER),
    _("See the members of the workspace with their names and email addresses"),
    exposes_personal_data=True,
)
register(
    "members.manage",
    at_least(Role.ADMIN),
    _("Invite members, change roles and remove members (below one's own role)"),
    exposes_personal_data=True,
)
register(
    "teams.view",
    at_least(Role.VIEWER),
    _("See the teams of the workspace, how many members each has, and who reads which records"),
)
register(
    "teams.manage",
    at_least(Role.ADMIN),
    _(
        "Create, rename and delete teams and put members into them, which decides whose "
        "records a member edits and, with team visibility, reads"
    ),
    exposes_personal_data=True,
)
register(
    "workspace.record_visibility",
    at_least(Role.OWNER),
    _(
        "Decide whether every member reads every record or members read only their own "
        "and their team's records"
    ),
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
