"""Foreign ids for core's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm.core.models import Membership, Team
from terabox_crm.core.roles import Role
from terabox_crm.testing import factories
from terabox_crm.testing.cross_workspace import ForeignId, param, public

FOREIGN_INVITEE = "invitee@globex.example"
FOREIGN_MEMBER = "colleague@globex.example"
FOREIGN_TEAM = "Globex Secret Squad"

public(
    "core:invite_accept",
    "the token is the credential; tested in core/tests/test_views_invite.py, including a "
    "signed-in outsider with another workspace's token",
)


@param("membership_id")
def foreign_membership(foreign) -> ForeignId:
    # A plain member, so that no rule about owners could be what refuses the request.
    colleague = factories.make_user(FOREIGN_MEMBER, display_name="Globex Colleague")
    membership = factories.add_member(foreign.workspace, colleague, Role.MEMBER)
    with scopes_disabled():
        assert Membership.objects.filter(pk=membership.pk).exists()
    return ForeignId(membership.pk, identifying=(FOREIGN_MEMBER, "Globex Colleague"))


@param("invitation_id")
def foreign_invitation(foreign) -> ForeignId:
    invitation, _token = factories.make_invitation(
        foreign.workspace, FOREIGN_INVITEE, Role.ADMIN, invited_by=foreign.owner
    )
    return ForeignId(invitation.pk, identifying=(FOREIGN_INVITEE,))


@param("team_id")
def foreign_team(foreign) -> ForeignId:
    with scopes_disabled():
        team = Team.objects.create(workspace=foreign.workspace, name=FOREIGN_TEAM)
    return ForeignId(team.pk, identifying=(FOREIGN_TEAM,))
