"""Who sees and who edits which record (S6), for every role and
both record-visibility settings; the querysets and the policy rules agree."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Company, Contact
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import policy
from terabox_crm.core.models import Membership, RecordVisibility, Team

ROLES = ("owner", "admin", "manager", "member", "viewer")


@pytest.fixture
def world(cast):
    with scopes_disabled():
        sales = Team.objects.create(workspace=cast.acme, name="Sales")
        Membership.objects.filter(user__in=[cast.manager, cast.member]).update(team=sales)
    owner = member_of(cast.acme, cast.owner)
    records = {
        # owned by the member, no team
        "members_own": make_contact(owner, family="Own", owner_id=cast.member.pk),
        # owned by the admin, in the sales team
        "sales_team": make_contact(owner, family="Team", owner_id=cast.admin.pk, team_id=sales.pk),
        # owned by the admin, no team
        "admins": make_contact(owner, family="Admin", owner_id=cast.admin.pk),
    }
    return cast, records


# role → (records readable in team mode, records editable)
EXPECTED = {
    "owner": ({"members_own", "sales_team", "admins"}, {"members_own", "sales_team", "admins"}),
    "admin": ({"members_own", "sales_team", "admins"}, {"members_own", "sales_team", "admins"}),
    "manager": ({"sales_team"}, {"sales_team"}),
    "member": ({"members_own", "sales_team"}, {"members_own", "sales_team"}),
    "viewer": (set(), set()),
}


@pytest.mark.parametrize("visibility", [RecordVisibility.WORKSPACE, RecordVisibility.TEAM])
@pytest.mark.parametrize("role", ROLES)
def test_visibility_matrix(world, role, visibility):
    cast, records = world
    cast.acme.record_visibility = visibility
    cast.acme.save()
    membership = member_of(cast.acme, getattr(cast, role))
    readable, editable = EXPECTED[role]
    if visibility == RecordVisibility.WORKSPACE:
        readable = set(records)
    names = {v.pk: k for k, v in records.items()}
    with scope(workspace=cast.acme):
        seen = {names[c.pk] for c in Contact.objects.visible_to(membership)}
        writable = {names[c.pk] for c in Contact.objects.editable_by(membership)}
        assert seen == readable
        assert writable == editable
        for name, record in records.items():
            record = Contact.objects.get(pk=record.pk)
            assert policy.can(membership, "contacts.view", record) is (name in readable)
            for action in ("contacts.change", "contacts.delete", "contacts.merge"):
                assert policy.can(membership, action, record) is (name in editable), action


def test_companies_follow_the_same_rules(world):
    cast, _records = world
    cast.acme.record_visibility = RecordVisibility.TEAM
    cast.acme.save()
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Admin Co", owner_id=cast.admin.pk)
    member = member_of(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        assert not Company.objects.visible_to(member).filter(pk=company.pk).exists()
        assert Company.objects.visible_to(owner).filter(pk=company.pk).exists()
        assert not policy.can(member, "companies.change", company)


def test_other_workspace_sees_nothing(world):
    cast, records = world
    outsider = member_of(cast.globex, cast.outsider)
    with scopes_disabled():
        assert not Contact.objects.visible_to(outsider).exists()
        assert not Contact.objects.editable_by(outsider).exists()
    for record in records.values():
        assert not policy.can(outsider, "contacts.view", record)
