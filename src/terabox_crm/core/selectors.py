"""Reads about workspaces and memberships."""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm.core.models import Membership


def memberships_of(user) -> list[Membership]:
    """Every workspace the user belongs to (for the switcher), oldest first."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user).select_related("workspace").order_by("created_at")
        )


def membership_for(user, workspace_id: str | None) -> Membership | None:
    """The user's membership in ``workspace_id``, or in their first workspace."""
    with scopes_disabled():
        qs = Membership.objects.filter(user=user).select_related("workspace")
        if workspace_id:
            found = qs.filter(workspace_id=workspace_id).first()
            if found is not None:
                return found
        return qs.order_by("created_at").first()
