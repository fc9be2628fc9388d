"""The teams page, the team select of the members page and the record-visibility
setting, through HTTP."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core.models import Membership, Team, Workspace
from terabox_crm.core.tests.support import core_state, events
from terabox_crm.testing.auth import login

TEAMS = reverse("core:teams")
MEMBERS = reverse("core:members")
VISIBILITY = reverse("core:record_visibility")


def _team(workspace, name) -> Team:
    with scopes_disabled():
        return Team.objects.create(workspace=workspace, name=name)


def _teams(workspace) -> list[str]:
    with scopes_disabled():
        return list(Team.objects.filter(workspace=workspace).values_list("name", flat=True))


def _team_of(membership):
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk).team_id


def _put_in(team, *memberships) -> None:
    with scopes_disabled():
        Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(team=team)


def _visibility(workspace) -> str:
    return Workspace.objects.get(pk=workspace.pk).record_visibility


def _member_team_url(membership):
    return reverse("core:member_team", args=[membership.pk])


# --- The page -----------------------------------------------------------------------------------


def test_viewer_sees_teams_with_member_counts_but_no_controls(client, cast):
    sales = _team(cast.acme, "Sales")
    _team(cast.acme, "Support")
    _put_in(sales, cast.manager_membership, cast.member_membership)
    login(client, cast.viewer)
    response = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 teams" in body
    assert "Sales" in body and "2 members" in body
    assert "Support" in body and "0 members" in body
    assert reverse("core:team_create") not in body
    assert reverse("core:team_rename", args=[sales.pk]) not in body
    assert VISIBILITY not in body
    assert "Every member reads every record" in body
    assert "Only owners change this setting." in body


def test_teams_page_in_japanese(client, cast):
    _team(cast.acme, "営業部")
    login(client, cast.owner)
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<h1>チーム</h1>" in body
    assert "営業部" in body
    assert "レコードの公開範囲" in body
    assert "全メンバーがすべてのレコードを閲覧できる" in body
    assert "新しいチーム" in body


def test_admin_gets_create_rename_and_delete_but_not_the_visibility_form(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin)
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("core:team_create") in body
    assert f"?rename={sales.pk}" in body  # the row's ⋯ menu opens the rename form
    delete = body.split('class="menu-wrap action-menu"', 1)[1].split("</details>", 1)[0]
    assert reverse("core:team_delete", args=[sales.pk]) in delete
    assert "data-confirm=" in delete and "btn-danger" not in body
    assert VISIBILITY not in body
    body = client.get(f"{TEAMS}?rename={sales.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("core:team_rename", args=[sales.pk]) in body


@pytest.mark.parametrize(
    ("language", "word"), [("en", "Members of Sales"), ("ja", "Salesのメンバー")]
)
def test_teams_show_their_members_as_chips(client, cast, language, word):
    sales = _team(cast.acme, "Sales")
    _put_in(sales, cast.member_membership)
    login(client, cast.viewer)
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    chips = body.split('class="member-chips"', 1)[1].split("</ul>", 1)[0]
    assert word in chips and cast.member.label in chips


def test_owner_gets_the_visibility_form_with_both_explanations(client, cast):
    login(client, cast.owner)
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert VISIBILITY in body
    assert 'value="workspace" aria-describedby="visibility-workspace-help" checked' in body
    assert "viewers included, reads every contact" in body
    assert "someone without a team reads only their own records" in body


def test_teams_page_is_in_the_workspace_menu(client, cast):
    login(client, cast.viewer)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{TEAMS}"' in body


def test_teams_page_needs_sign_in(client, cast):
    response = client.get(TEAMS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_teams_page_lists_only_this_workspaces_teams(client, cast):
    _team(cast.globex, "Globex Secret Squad")
    login(client, cast.owner)
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Globex Secret Squad" not in body
    assert "No teams yet." in body


def test_teams_page_query_count_does_not_grow_with_teams(
    client, cast, django_assert_max_num_queries
):
    for index in range(3):
        _put_in(_team(cast.acme, f"Team {index}"), cast.member_membership)
    login(client, cast.owner)
    client.get(TEAMS)  # warm the session and key caches
    with django_assert_max_num_queries(30) as few:
        client.get(TEAMS)
    for index in range(3, 30):
        _team(cast.acme, f"Team {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(TEAMS)


# --- Create, rename, delete --------------------------------------------------------------------


def test_admin_creates_a_team_from_the_page(client, cast):
    login(client, cast.admin)
    response = client.post(reverse("core:team_create"), {"name": "Sales"})
    assert response.status_code == 302
    assert _teams(cast.acme) == ["Sales"]
    assert len(events("core.team.created")) == 1


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "A team with this name already exists in this workspace."),
        ("ja", "同じ名前のチームがこのワークスペースにすでにあります。"),
    ],
)
def test_a_taken_name_is_a_translated_409_on_the_form(client, cast, language, text):
    _team(cast.acme, "Sales")
    login(client, cast.owner)
    before = core_state()
    response = client.post(
        reverse("core:team_create"), {"name": "SALES"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 409
    assert text in response.content.decode()
    assert core_state() == before


def test_an_empty_name_is_a_400(client, cast):
    login(client, cast.owner)
    response = client.post(reverse("core:team_create"), {"name": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert _teams(cast.acme) == []


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_below_admin_cannot_create_and_the_denial_is_recorded(client, cast, role):
    login(client, getattr(cast, role))
    response = client.post(reverse("core:team_create"), {"name": "Sales"})
    assert response.status_code == 403
    assert _teams(cast.acme) == []
    [event] = events("security.permission.denied")
    assert event.payload["attempted"] == "teams.manage"


def test_rename_from_the_page(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin)
    response = client.post(reverse("core:team_rename", args=[sales.pk]), {"name": "Field sales"})
    assert response.status_code == 302
    assert _teams(cast.acme) == ["Field sales"]


def test_renaming_to_a_taken_name_shows_the_error_and_changes_nothing(client, cast):
    _team(cast.acme, "Sales")
    support = _team(cast.acme, "Support")
    login(client, cast.admin)
    response = client.post(
        reverse("core:team_rename", args=[support.pk]), {"name": "Sales"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 409
    assert "同じ名前のチーム" in response.content.decode()
    assert sorted(_teams(cast.acme)) == ["Sales", "Support"]


def test_member_cannot_rename(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.member)
    assert (
        client.post(reverse("core:team_rename", args=[sales.pk]), {"name": "x"}).status_code == 403
    )
    assert _teams(cast.acme) == ["Sales"]


@pytest.mark.parametrize(
    ("visibility", "language", "text"),
    [
        ("workspace", "en", "Every member of this workspace still reads these records."),
        ("team", "en", "will no longer see them"),
        ("team", "ja", "見えなくなります"),
    ],
)
def test_delete_confirmation_explains_the_effect(client, cast, visibility, language, text):
    cast.acme.record_visibility = visibility
    cast.acme.save(update_fields=["record_visibility"])
    sales = _team(cast.acme, "Sales")
    _put_in(sales, cast.member_membership, cast.manager_membership)
    login(client, cast.admin)
    response = client.get(
        reverse("core:team_delete", args=[sales.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert text in body
    if language == "en":
        assert "Its 2 members will have no team." in body
        assert "No contact, company, deal, task or ticket is deleted." in body
    assert _teams(cast.acme) == ["Sales"]


def test_delete_from_the_page_releases_the_members(client, cast):
    sales = _team(cast.acme, "Sales")
    _put_in(sales, cast.member_membership)
    login(client, cast.admin)
    response = client.post(reverse("core:team_delete", args=[sales.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert _teams(cast.acme) == []
    assert _team_of(cast.member_membership) is None
    page = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Its 1 member has no team now." in page


def test_manager_cannot_open_or_post_the_delete_page(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.manager)
    url = reverse("core:team_delete", args=[sales.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert _teams(cast.acme) == ["Sales"]


@pytest.mark.parametrize("name", ["core:team_rename", "core:team_delete"])
def test_another_workspaces_team_is_a_404(client, cast, name):
    foreign = _team(cast.globex, "Globex Secret Squad")
    login(client, cast.owner)
    response = client.post(reverse(name, args=[foreign.pk]), {"name": "Mine now"})
    assert response.status_code == 404
    assert _teams(cast.globex) == ["Globex Secret Squad"]


# --- Putting members into teams, on the members page ----------------------------------------------


def test_members_page_has_a_team_select_per_member_below_the_admin(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin)

    def page(membership):
        url = reverse("core:member", args=[membership.pk])
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert _member_team_url(cast.member_membership) in page(cast.member_membership)
    assert _member_team_url(cast.viewer_membership) in page(cast.viewer_membership)
    assert _member_team_url(cast.owner_membership) not in page(cast.owner_membership)
    assert f'<option value="{sales.pk}">Sales</option>' in page(cast.member_membership)


def test_members_page_shows_team_names_read_only_to_a_viewer(client, cast):
    sales = _team(cast.acme, "Sales")
    _put_in(sales, cast.member_membership)
    login(client, cast.viewer)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sales" in body
    assert 'name="team"' not in body


def test_members_page_in_japanese_has_the_team_column(client, cast):
    _put_in(_team(cast.acme, "営業部"), cast.member_membership)
    login(client, cast.owner)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "チームなし" in body
    assert "営業部" in body


def test_members_page_without_teams_points_admins_to_the_teams_page(client, cast):
    login(client, cast.admin)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="team"' not in body
    assert "No teams yet. Create teams on the" in body


def test_admin_puts_a_member_into_a_team(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin, step_up=True)
    response = client.post(_member_team_url(cast.member_membership), {"team": str(sales.pk)})
    assert response.status_code == 302
    assert _team_of(cast.member_membership) == sales.pk
    response = client.post(_member_team_url(cast.member_membership), {"team": ""})
    assert response.status_code == 302
    assert _team_of(cast.member_membership) is None
    assert len(events("core.member.team_changed")) == 2


def test_putting_a_member_into_a_team_needs_step_up(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin, step_up=False)
    response = client.post(_member_team_url(cast.member_membership), {"team": str(sales.pk)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert _team_of(cast.member_membership) is None


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Choose one of the offered teams."),
        ("ja", "表示されているチームから選択してください。"),
    ],
)
def test_a_team_of_another_workspace_is_a_translated_form_error(client, cast, language, text):
    foreign = _team(cast.globex, "Globex Secret Squad")
    login(client, cast.owner, step_up=True)
    before = core_state()
    response = client.post(
        _member_team_url(cast.member_membership),
        {"team": str(foreign.pk)},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert text in body
    assert str(foreign.pk) not in body
    assert "Globex Secret Squad" not in body
    assert core_state() == before


def test_a_member_of_another_workspace_is_a_404(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.owner, step_up=True)
    response = client.post(_member_team_url(cast.outsider_membership), {"team": str(sales.pk)})
    assert response.status_code == 404
    assert _team_of(cast.outsider_membership) is None


def test_admin_changing_an_owners_team_gets_a_403(client, cast):
    sales = _team(cast.acme, "Sales")
    login(client, cast.admin, step_up=True)
    response = client.post(
        _member_team_url(cast.owner_membership), {"team": str(sales.pk)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert "same as or higher than yours" in response.content.decode()
    assert _team_of(cast.owner_membership) is None


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_below_admin_cannot_assign_teams(client, cast, role):
    sales = _team(cast.acme, "Sales")
    login(client, getattr(cast, role), step_up=True)
    response = client.post(_member_team_url(cast.viewer_membership), {"team": str(sales.pk)})
    assert response.status_code == 403
    assert _team_of(cast.viewer_membership) is None


# --- Record visibility --------------------------------------------------------------------------------


def test_owner_changes_the_visibility_after_step_up(client, cast):
    login(client, cast.owner, step_up=True)
    response = client.post(VISIBILITY, {"record_visibility": "team"})
    assert response.status_code == 302
    assert _visibility(cast.acme) == "team"
    [event] = events("core.workspace.record_visibility_changed")
    assert event.payload == {"before": "workspace", "after": "team"}
    body = client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="team" aria-describedby="visibility-team-help" checked' in body


def test_changing_the_visibility_needs_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    response = client.post(VISIBILITY, {"record_visibility": "team"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert _visibility(cast.acme) == "workspace"


@pytest.mark.parametrize("role", ["admin", "manager", "member", "viewer"])
def test_only_owners_change_the_visibility(client, cast, role):
    login(client, getattr(cast, role), step_up=True)
    response = client.post(VISIBILITY, {"record_visibility": "team"})
    assert response.status_code == 403
    assert _visibility(cast.acme) == "workspace"
    [event] = events("security.permission.denied")
    assert event.payload["attempted"] == "workspace.record_visibility"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Choose one of the offered options."),
        ("ja", "表示されている選択肢から選択してください。"),
    ],
)
def test_a_tampered_visibility_is_a_translated_400(client, cast, language, text):
    login(client, cast.owner, step_up=True)
    response = client.post(
        VISIBILITY, {"record_visibility": "everyone"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert text in response.content.decode()
    assert _visibility(cast.acme) == "workspace"


# --- End to end: what a manager reads ------------------------------------------------------------------


def test_with_team_visibility_a_manager_reads_their_teams_records_in_the_contact_list(client, cast):
    """The owner builds the team and switches visibility on the pages; the
    manager's contact list then holds the team's contact and not the others."""
    owner = member_of(cast.acme, cast.owner)
    login(client, cast.owner, step_up=True)
    client.post(reverse("core:team_create"), {"name": "Sales"})
    with scopes_disabled():
        sales = Team.objects.get(workspace=cast.acme, name="Sales")
    client.post(_member_team_url(cast.manager_membership), {"team": str(sales.pk)})
    make_contact(owner, family="Teamrecord", owner_id=cast.admin.pk, team_id=sales.pk)
    make_contact(owner, family="Elsewhere", owner_id=cast.admin.pk)
    contacts = reverse("contacts:list")

    login(client, cast.manager)
    before = client.get(contacts, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Teamrecord" in before and "Elsewhere" in before

    login(client, cast.owner, step_up=True)
    assert client.post(VISIBILITY, {"record_visibility": "team"}).status_code == 302

    login(client, cast.manager)
    after = client.get(contacts, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Teamrecord" in after
    assert "Elsewhere" not in after

    login(client, cast.member)  # no team: reads only what they own
    assert "Teamrecord" not in client.get(contacts, HTTP_ACCEPT_LANGUAGE="en").content.decode()
