"""Reads about workspaces, memberships and invitations.

The switcher and the invite page look across workspaces (a user's own
memberships, an invitation found by its token), so they disable scoping
explicitly and narrowly; everything else reads inside the workspace scope.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.accounts.models import TOTPDevice
from terabox_crm.core.models import Invitation, Membership, Team, Workspace
from terabox_crm.core.roles import RANK, Role


def memberships_of(user) -> list[Membership]:
    """Every workspace the user belongs to (for the switcher), oldest first."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user).select_related("workspace").order_by("created_at")
        )


def membership_in(workspace: Workspace, user) -> Membership | None:
    """``user``'s membership in ``workspace``, or None."""
    with scope(workspace=workspace):
        return Membership.objects.filter(user=user).select_related("workspace", "user").first()


def members_of(workspace: Workspace) -> list[Membership]:
    """The members of ``workspace``, highest role first, then by joining date."""
    with scope(workspace=workspace):
        members = list(
            Membership.objects.select_related("user", "workspace", "team").order_by("created_at")
        )
    return sorted(members, key=lambda m: -RANK.get(m.role, 0))


def teams_of(workspace: Workspace) -> list[Team]:
    """The teams of ``workspace`` by name, each with ``member_count``, in one query
    (a workspace has at most ``services.MAX_TEAMS``)."""
    with scope(workspace=workspace):
        return list(Team.objects.annotate(member_count=Count("memberships")).order_by("name"))


def owner_count(workspace: Workspace) -> int:
    with scope(workspace=workspace):
        return Membership.objects.filter(role=Role.OWNER).count()


def pending_invitations(workspace: Workspace) -> list[Invitation]:
    """Invitations neither accepted nor revoked, newest first (expired ones included,
    so that they can be sent again)."""
    with scope(workspace=workspace):
        return list(
            Invitation.objects.filter(accepted_at=None, revoked_at=None)
            .select_related("invited_by")
            .order_by("-created_at")
        )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation an invite link points at, in whichever workspace it is."""
    if not token or len(token) > 128:
        return None
    with scopes_disabled():
        return (
            Invitation.objects.filter(token_hash=Invitation.hash_token(token))
            .select_related("workspace", "invited_by")
            .first()
        )


def invitation_state(invitation: Invitation) -> str:
    """``pending``, ``accepted``, ``revoked`` or ``expired``."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.is_expired(timezone.now()):
        return "expired"
    return "pending"


def two_factor_enrolled(user_ids) -> set:
    """Which of ``user_ids`` have confirmed two-factor, in one query."""
    return set(
        TOTPDevice.objects.filter(user_id__in=list(user_ids), confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def initials(label: str) -> str:
    """An avatar's letters: "Taro Yamada" → "TY", "山田 花子" → "山" (one
    character of a Japanese name reads as the family name)."""
    parts = label.replace("@", " ").split()
    if not parts:
        return "?"
    first = parts[0][0]
    if first.isascii():
        return "".join(part[0] for part in parts[:2] if part[0].isascii()).upper()
    return first
