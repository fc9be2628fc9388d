"""Tenant models cannot be queried without a workspace scope (S6)."""

import pytest
from django_scopes import ScopeError, scope, scopes_disabled

from terabox_crm.core.models import Invitation, Membership
from terabox_crm.testing import factories


def test_unscoped_membership_query_raises(cast):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_unscoped_membership_filter_raises(cast):
    with pytest.raises(ScopeError):
        Membership.objects.filter(user=cast.owner).first()


def test_unscoped_invitation_query_raises(cast):
    factories.make_invitation(cast.acme, "new@acme.example")
    with pytest.raises(ScopeError):
        Invitation.objects.filter(email_index="x").exists()


def test_related_manager_of_a_user_is_scoped_too(cast):
    with pytest.raises(ScopeError):
        list(cast.owner.memberships.all())


def test_scoped_query_sees_only_its_workspace(cast):
    with scope(workspace=cast.globex):
        assert list(Membership.objects.all()) == [cast.outsider_membership]


def test_scopes_disabled_is_an_explicit_opt_out(cast):
    with scopes_disabled():
        assert Membership.objects.count() == 6
