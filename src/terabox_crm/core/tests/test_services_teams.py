"""Teams, team membership and record visibility, through the services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core import teams
from terabox_crm.core.models import Membership, RecordVisibility, Team, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, ended, events
from terabox_crm.refusals import Refusal


def _team(workspace, name) -> Team:
    with scopes_disabled():
        return Team.objects.create(workspace=workspace, name=name)


def _teams(workspace) -> list[str]:
    with scopes_disabled():
        return list(Team.objects.filter(workspace=workspace).values_list("name", flat=True))


def _team_of(membership) -> object:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk).team_id


def _visibility(workspace) -> str:
    return Workspace.objects.get(pk=workspace.pk).record_visibility


# --- Creating and renaming ----------------------------------------------------------------------


def test_admin_creates_a_team_and_it_is_audited(cast):
    team = teams.team_create(membership=cast.admin_membership, name="  Sales   East ")
    assert team.name == "Sales East"
    assert _teams(cast.acme) == ["Sales East"]
    [event] = events("core.team.created")
    assert event.payload == {"name": "Sales East"}
    assert event.object_id == str(team.pk)


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "A team with this name already exists"), ("ja", "同じ名前のチーム")],
)
def test_team_names_are_unique_in_a_workspace_without_case(cast, language, text):
    _team(cast.acme, "Sales")
    before = core_state()
    with pytest.raises(Refusal) as refused, translation.override(language):
        teams.team_create(membership=cast.owner_membership, name="sales")
    assert refused.value.code == "team_name_taken"
    assert refused.value.status == 409
    with translation.override(language):
        assert text in refused.value.text
    assert core_state() == before
    assert _teams(cast.acme) == ["Sales"]


def test_the_same_team_name_may_exist_in_another_workspace(cast):
    _team(cast.globex, "Sales")
    teams.team_create(membership=cast.owner_membership, name="Sales")
    assert _teams(cast.acme) == ["Sales"]


@pytest.mark.parametrize(
    ("name", "code"), [("   ", "team_name_required"), ("x" * 121, "team_name_too_long")]
)
def test_blank_or_long_team_names_are_refused(cast, name, code):
    with pytest.raises(Refusal) as refused:
        teams.team_create(membership=cast.owner_membership, name=name)
    assert refused.value.code == code
    assert _teams(cast.acme) == []


def test_a_workspace_has_at_most_max_teams(cast, monkeypatch):
    monkeypatch.setattr(teams, "MAX_TEAMS", 2)
    teams.team_create(membership=cast.owner_membership, name="A")
    teams.team_create(membership=cast.owner_membership, name="B")
    with pytest.raises(Refusal) as refused:
        teams.team_create(membership=cast.owner_membership, name="C")
    assert refused.value.code == "too_many_teams"
    assert _teams(cast.acme) == ["A", "B"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.MEMBER, Role.VIEWER])
def test_below_admin_cannot_create_teams_and_the_attempt_is_recorded(cast, role):
    with pytest.raises(Refusal) as refused:
        teams.team_create(membership=getattr(cast, f"{role}_membership"), name="Sales")
    assert refused.value.status == 403
    assert _teams(cast.acme) == []
    [event] = events("security.permission.denied")
    assert event.payload["attempted"] == "core.team.create"


def test_a_member_who_has_left_cannot_create_a_team(cast):
    with pytest.raises(Refusal) as refused:
        teams.team_create(membership=ended(cast.admin_membership), name="Sales")
    assert (refused.value.status, refused.value.code) == (404, "not_a_member")
    assert _teams(cast.acme) == []


def test_rename_a_team(cast):
    team = _team(cast.acme, "Sales")
    teams.team_rename(membership=cast.admin_membership, team=team, name="Field sales")
    assert _teams(cast.acme) == ["Field sales"]
    [event] = events("core.team.renamed")
    assert event.payload == {"before": "Sales", "after": "Field sales"}


def test_renaming_to_another_teams_name_is_refused(cast):
    _team(cast.acme, "Sales")
    support = _team(cast.acme, "Support")
    with pytest.raises(Refusal) as refused:
        teams.team_rename(membership=cast.owner_membership, team=support, name="SALES")
    assert refused.value.code == "team_name_taken"
    assert sorted(_teams(cast.acme)) == ["Sales", "Support"]


def test_changing_only_the_case_of_a_teams_own_name_is_allowed(cast):
    team = _team(cast.acme, "sales")
    teams.team_rename(membership=cast.owner_membership, team=team, name="Sales")
    assert _teams(cast.acme) == ["Sales"]


def test_renaming_to_the_same_name_records_nothing(cast):
    team = _team(cast.acme, "Sales")
    teams.team_rename(membership=cast.owner_membership, team=team, name="Sales")
    assert events("core.team.renamed") == []


def test_member_cannot_rename(cast):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal):
        teams.team_rename(membership=cast.member_membership, team=team, name="Mine")
    assert _teams(cast.acme) == ["Sales"]


def test_owner_of_another_workspace_cannot_rename_acmes_team(cast):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal) as refused:
        teams.team_rename(membership=cast.outsider_membership, team=team, name="Taken over")
    assert refused.value.status == 404
    assert _teams(cast.acme) == ["Sales"]


@pytest.mark.parametrize("service", ["rename", "delete", "assign"])
def test_a_team_deleted_meanwhile_is_a_404(cast, service):
    team = _team(cast.acme, "Sales")
    with scopes_disabled():
        Team.objects.filter(pk=team.pk).delete()
    calls = {
        "rename": lambda: teams.team_rename(
            membership=cast.owner_membership, team=team, name="Other"
        ),
        "delete": lambda: teams.team_delete(membership=cast.owner_membership, team=team),
        "assign": lambda: teams.member_set_team(
            membership=cast.owner_membership, target=cast.member_membership, team=team
        ),
    }
    with pytest.raises(Refusal) as refused:
        calls[service]()
    assert refused.value.code == "team_unknown"
    assert refused.value.status == 404
    assert _teams(cast.acme) == []


# --- Deleting -------------------------------------------------------------------------------------


def test_deleting_a_team_keeps_its_members_and_records_without_a_team(cast):
    team = _team(cast.acme, "Sales")
    with scopes_disabled():
        Membership.objects.filter(
            pk__in=[cast.manager_membership.pk, cast.member_membership.pk]
        ).update(team=team)
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, family="Team", owner_id=cast.admin.pk, team_id=team.pk)
    assert teams.team_delete(membership=cast.admin_membership, team=team) == 2
    assert _teams(cast.acme) == []
    assert _team_of(cast.manager_membership) is None
    assert _team_of(cast.member_membership) is None
    with scope(workspace=cast.acme):
        kept = Contact.objects.get(pk=contact.pk)
    assert kept.team_id is None
    assert kept.owner_id == cast.admin.pk
    [event] = events("core.team.deleted")
    assert event.payload == {"name": "Sales", "members": 2}
    assert event.object_id == str(team.pk)


def test_deleting_a_team_does_not_load_its_records(cast):
    team = _team(cast.acme, "Sales")
    owner = member_of(cast.acme, cast.owner)
    for family in ("A", "B", "C"):
        make_contact(owner, family=family, team_id=team.pk)
    with CaptureQueriesContext(connection) as queries:
        teams.team_delete(membership=cast.owner_membership, team=team)
    contact_table = Contact._meta.db_table
    touching = [q["sql"] for q in queries if contact_table in q["sql"]]
    assert touching, "the records' team is cleared"
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in touching), touching


def test_manager_cannot_delete_a_team(cast):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal) as refused:
        teams.team_delete(membership=cast.manager_membership, team=team)
    assert refused.value.status == 403
    assert _teams(cast.acme) == ["Sales"]


# --- Putting members into teams ------------------------------------------------------------------


def test_admin_puts_a_member_into_a_team_and_out_again(cast):
    team = _team(cast.acme, "Sales")
    teams.member_set_team(
        membership=cast.admin_membership, target=cast.member_membership, team=team
    )
    assert _team_of(cast.member_membership) == team.pk
    teams.member_set_team(
        membership=cast.admin_membership, target=cast.member_membership, team=None
    )
    assert _team_of(cast.member_membership) is None
    first, second = events("core.member.team_changed")
    assert first.payload == {"user": str(cast.member.pk), "before": None, "after": str(team.pk)}
    assert second.payload["after"] is None


def test_setting_the_same_team_again_records_nothing(cast):
    team = _team(cast.acme, "Sales")
    teams.member_set_team(
        membership=cast.owner_membership, target=cast.member_membership, team=team
    )
    teams.member_set_team(
        membership=cast.owner_membership, target=cast.member_membership, team=team
    )
    assert len(events("core.member.team_changed")) == 1


def test_a_team_of_another_workspace_cannot_be_assigned(cast):
    foreign = _team(cast.globex, "Globex team")
    before = core_state()
    with pytest.raises(Refusal) as refused:
        teams.member_set_team(
            membership=cast.owner_membership, target=cast.member_membership, team=foreign
        )
    assert refused.value.status == 404
    assert refused.value.code == "team_unknown"
    assert core_state() == before
    [event] = events("security.permission.denied")
    assert event.payload["reason"] == "team_unknown"


def test_a_member_of_another_workspace_cannot_be_put_into_a_team(cast):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal) as refused:
        teams.member_set_team(
            membership=cast.owner_membership, target=cast.outsider_membership, team=team
        )
    assert refused.value.status == 404
    assert _team_of(cast.outsider_membership) is None


def test_admin_cannot_change_the_team_of_an_owner(cast):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal) as refused:
        teams.member_set_team(
            membership=cast.admin_membership, target=cast.owner_membership, team=team
        )
    assert refused.value.code == "member_at_or_above_own"
    assert _team_of(cast.owner_membership) is None


@pytest.mark.parametrize("role", [Role.MANAGER, Role.MEMBER, Role.VIEWER])
def test_below_admin_cannot_put_anyone_into_a_team(cast, role):
    team = _team(cast.acme, "Sales")
    with pytest.raises(Refusal) as refused:
        teams.member_set_team(
            membership=getattr(cast, f"{role}_membership"), target=cast.viewer_membership, team=team
        )
    assert refused.value.status == 403
    assert _team_of(cast.viewer_membership) is None


# --- Record visibility ------------------------------------------------------------------------------


def test_owner_sets_team_visibility_and_it_is_audited(cast):
    teams.workspace_set_record_visibility(
        membership=cast.owner_membership, visibility=RecordVisibility.TEAM
    )
    assert _visibility(cast.acme) == "team"
    [event] = events("core.workspace.record_visibility_changed")
    assert event.payload == {"before": "workspace", "after": "team"}


def test_setting_the_same_visibility_records_nothing(cast):
    teams.workspace_set_record_visibility(
        membership=cast.owner_membership, visibility=RecordVisibility.WORKSPACE
    )
    assert events("core.workspace.record_visibility_changed") == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER])
def test_only_owners_set_the_visibility(cast, role):
    with pytest.raises(Refusal) as refused:
        teams.workspace_set_record_visibility(
            membership=getattr(cast, f"{role}_membership"), visibility=RecordVisibility.TEAM
        )
    assert refused.value.status == 403
    assert _visibility(cast.acme) == "workspace"


def test_an_owner_who_has_left_cannot_set_the_visibility(cast):
    with pytest.raises(Refusal) as refused:
        teams.workspace_set_record_visibility(
            membership=ended(cast.owner_membership), visibility=RecordVisibility.TEAM
        )
    assert (refused.value.status, refused.value.code) == (404, "not_a_member")
    assert _visibility(cast.acme) == "workspace"


def test_an_unknown_visibility_is_refused_and_recorded(cast):
    with pytest.raises(Refusal) as refused:
        teams.workspace_set_record_visibility(
            membership=cast.owner_membership, visibility="everyone-and-their-dog"
        )
    assert refused.value.status == 400
    assert _visibility(cast.acme) == "workspace"
    assert len(events("security.request.invalid")) == 1
