"""Who reads and who edits a CRM record that has an owner and a team
(issue 3 point 8), as query filters and as an object check, so list views,
detail views, the API and jobs all apply the same rule.

- Owners and admins read and edit every record of the workspace.
- Viewers never edit.
- Members and managers edit records they own or that belong to their team.
- Reading: with ``Workspace.record_visibility == "workspace"`` (the default)
  every member reads every record; with ``"team"`` members, managers and
  viewers read only records they own or that belong to their team.
"""

from __future__ import annotations

from django.db.models import Q

from terabox_crm.core.roles import RANK, Role


def _own_or_team(membership) -> Q:
    condition = Q(owner_id=membership.user_id)
    if membership.team_id:
        condition |= Q(team_id=membership.team_id)
    return condition


# "Every record": a condition that is always true. Not ``Q()``, which vanishes
# when OR-ed with another condition (``Q() | Q(x)`` is ``Q(x)``).
EVERYTHING = Q(pk__isnull=False)


def reads_everything(membership) -> bool:
    return RANK[membership.role] >= RANK[Role.ADMIN] or (
        membership.workspace.record_visibility == "workspace"
    )


def readable_q(membership) -> Q:
    """A filter for the records ``membership`` may read (``Q(pk__in=[])`` for none)."""
    if membership is None:
        return Q(pk__in=[])
    if reads_everything(membership):
        return EVERYTHING
    return _own_or_team(membership)


def editable_q(membership) -> Q:
    if membership is None or membership.role == Role.VIEWER:
        return Q(pk__in=[])
    if RANK[membership.role] >= RANK[Role.ADMIN]:
        return EVERYTHING
    return _own_or_team(membership)


def can_read(membership, record) -> bool:
    if membership is None or record.workspace_id != membership.workspace_id:
        return False
    return reads_everything(membership) or _owns_or_shares(membership, record)


def can_edit(membership, record) -> bool:
    if membership is None or record.workspace_id != membership.workspace_id:
        return False
    if membership.role == Role.VIEWER:
        return False
    if RANK[membership.role] >= RANK[Role.ADMIN]:
        return True
    return _owns_or_shares(membership, record)


def _owns_or_shares(membership, record) -> bool:
    if record.owner_id == membership.user_id:
        return True
    return bool(membership.team_id) and record.team_id == membership.team_id


# Policy rules (``core.policy.register``) for actions on owner/team records:
# without an object they answer by role, with one they apply the rules above.


def read_rule(membership, obj) -> bool:
    if obj is None:
        return RANK[membership.role] >= RANK[Role.VIEWER]
    return can_read(membership, obj)


def write_rule(membership, obj) -> bool:
    """Change, delete, move, merge: from member up, on records one may edit."""
    if obj is None:
        return RANK[membership.role] >= RANK[Role.MEMBER]
    return can_edit(membership, obj)
