"""A deal's company and contact under team visibility (S6): the service, the
API and the form refuse one the member may not read exactly as one that does
not exist, record the attempt, accept one they may read, keep a link a
colleague made, and the deal page never shows a name the viewer may not read."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.tests.support import member_of
from terabox_crm.deals import services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, stage_named
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login
from terabox_crm.testing.links import HIDDEN_COMPANY, HIDDEN_FAMILY, refusals_recorded

LINKS = ("company", "contact")


def _deal_count(world) -> int:
    with scopes_disabled():
        return Deal.objects.filter(workspace=world.cast.acme).count()


def _create(world, **links):
    data = services.DealData(name="Linked", stage=stage_named(world.pipeline, "Lead"), **links)
    with scope(workspace=world.cast.acme):
        return services.deal_create(membership=world.cast.member_membership, data=data)


def _refused(world, **links) -> Refusal:
    with pytest.raises(Refusal) as refused:
        _create(world, **links)
    return refused.value


def _answer(error: Refusal) -> tuple:
    return (str(error.message), error.code, error.status, error.field)


# --- The service ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", LINKS)
def test_the_service_refuses_a_link_the_member_may_not_read_as_one_that_does_not_exist(
    team_world, field
):
    before = _deal_count(team_world)
    hidden = _refused(team_world, **{field: team_world.hidden[field].pk})
    unknown = _refused(team_world, **{field: team_world.unknown()})
    assert _answer(hidden) == _answer(unknown)
    assert hidden.field == field
    assert _deal_count(team_world) == before


@pytest.mark.parametrize("field", LINKS)
def test_the_service_records_the_refused_link(team_world, field):
    _refused(team_world, **{field: team_world.hidden[field].pk})
    (event,) = refusals_recorded()
    assert event.object_id == str(team_world.hidden[field].pk)
    assert event.payload["attempted"] == f"link.{field}"


@pytest.mark.parametrize("field", LINKS)
def test_the_service_links_a_record_the_member_may_read(team_world, field):
    deal = _create(team_world, **{field: str(team_world.mine[field].pk)})
    assert getattr(deal, f"{field}_id") == team_world.mine[field].pk


@pytest.mark.parametrize("field", LINKS)
def test_an_update_refuses_a_new_link_the_member_may_not_read(team_world, field):
    cast = team_world.cast
    deal = make_deal(cast.acme, cast.member, team_world.pipeline, name="Mine")
    data = services.DealData(
        name="Mine", stage=deal.stage, owner=cast.member, **{field: team_world.hidden[field].pk}
    )
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.deal_update(membership=cast.member_membership, deal=deal, data=data)
    assert refused.value.field == field
    deal.refresh_from_db()
    assert getattr(deal, f"{field}_id") is None


def test_an_update_keeps_a_link_a_colleague_made_to_a_record_the_member_may_not_read(team_world):
    cast = team_world.cast
    hidden = team_world.hidden
    deal = make_deal(
        cast.acme, cast.owner, team_world.pipeline, name="Shared", owner=cast.member,
        company=hidden["company"], contact=hidden["contact"],
    )  # fmt: skip
    data = services.DealData(
        name="Renamed", stage=deal.stage, owner=cast.member,
        company=hidden["company"].pk, contact=hidden["contact"].pk,
    )  # fmt: skip
    with scope(workspace=cast.acme):
        services.deal_update(membership=cast.member_membership, deal=deal, data=data)
    deal.refresh_from_db()
    assert (deal.name, deal.company_id, deal.contact_id) == (
        "Renamed",
        hidden["company"].pk,
        hidden["contact"].pk,
    )


# --- The API -------------------------------------------------------------------------------


def _api_create(client, world, **links):
    body = {"name": "API deal", "stage": str(stage_named(world.pipeline, "Lead").pk), **links}
    return client.post("/api/v1/deals/", body, content_type="application/json")


@pytest.mark.parametrize("field", LINKS)
def test_the_api_refuses_a_link_the_member_may_not_read_as_one_that_does_not_exist(
    client, team_world, field
):
    login(client, team_world.cast.member)
    before = _deal_count(team_world)
    hidden = _api_create(client, team_world, **{field: str(team_world.hidden[field].pk)})
    unknown = _api_create(client, team_world, **{field: team_world.unknown()})
    assert hidden.status_code == 400
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json() == unknown.json()
    assert list(hidden.json()["errors"]) == [field]
    assert _deal_count(team_world) == before
    assert len(refusals_recorded()) == 1


@pytest.mark.parametrize("field", LINKS)
def test_the_api_refuses_changing_a_link_to_a_record_the_member_may_not_read(
    client, team_world, field
):
    cast = team_world.cast
    deal = make_deal(cast.acme, cast.member, team_world.pipeline, name="Mine")
    login(client, cast.member)
    response = client.patch(
        f"/api/v1/deals/{deal.pk}/",
        {field: str(team_world.hidden[field].pk)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("field", LINKS)
def test_the_api_links_a_record_the_member_may_read(client, team_world, field):
    login(client, team_world.cast.member)
    response = _api_create(client, team_world, **{field: str(team_world.mine[field].pk)})
    assert response.status_code == 201, response.content
    assert response.json()[field] == str(team_world.mine[field].pk)


def test_the_api_shows_a_linked_record_by_its_id_not_its_name(client, team_world):
    cast = team_world.cast
    deal = make_deal(
        cast.acme, cast.owner, team_world.pipeline, owner=cast.member,
        company=team_world.hidden["company"], contact=team_world.hidden["contact"],
    )  # fmt: skip
    login(client, cast.member)
    body = client.get(f"/api/v1/deals/{deal.pk}/").content.decode()
    assert str(team_world.hidden["contact"].pk) in body
    assert HIDDEN_COMPANY not in body and HIDDEN_FAMILY not in body


# --- The form and the page -----------------------------------------------------------------


def _post(client, world, url, language="en", **extra):
    data = {
        "name": "Rollout",
        "stage": str(stage_named(world.pipeline, "Lead").pk),
        "currency": "JPY",
        "owner": str(member_of(world.cast.acme, world.cast.member).pk),
        **extra,
    }
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("field", "language", "message"),
    [
        ("company", "en", "Choose a company of this workspace."),
        ("company", "ja", "このワークスペースの会社を選んでください。"),
        ("contact", "en", "Choose a contact of this workspace."),
        ("contact", "ja", "このワークスペースの連絡先を選んでください。"),
    ],
)
def test_the_form_refuses_a_link_the_member_may_not_read_with_a_translated_error(
    client, team_world, field, language, message
):
    login(client, team_world.cast.member)
    before = _deal_count(team_world)
    response = _post(
        client, team_world, reverse("deals:create"), language,
        **{field: str(team_world.hidden[field].pk)},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert HIDDEN_COMPANY not in body and HIDDEN_FAMILY not in body
    assert _deal_count(team_world) == before
    assert len(refusals_recorded()) == 1


def test_the_form_keeps_a_link_the_member_may_not_read_and_does_not_name_it(client, team_world):
    cast = team_world.cast
    deal = make_deal(
        cast.acme, cast.owner, team_world.pipeline, owner=cast.member,
        contact=team_world.hidden["contact"],
    )  # fmt: skip
    login(client, cast.member)
    url = reverse("deals:edit", args=[deal.pk])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert HIDDEN_FAMILY not in form
    assert "a record you cannot see" in form
    saved = _post(client, team_world, url, contact=str(team_world.hidden["contact"].pk))
    assert saved.status_code == 302
    deal.refresh_from_db()
    assert deal.contact_id == team_world.hidden["contact"].pk


@pytest.mark.parametrize("field", LINKS)
def test_the_deal_page_does_not_name_a_linked_record_the_viewer_may_not_read(
    client, team_world, field
):
    cast = team_world.cast
    deal = make_deal(
        cast.acme, cast.owner, team_world.pipeline, owner=cast.member,
        **{field: team_world.hidden[field]},
    )  # fmt: skip
    login(client, cast.member)
    page = client.get(reverse("deals:detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert HIDDEN_COMPANY not in body and HIDDEN_FAMILY not in body
    assert "a record you cannot see" in body
    assert str(team_world.hidden[field].pk) not in body  # no link to a page it cannot open


def test_the_deal_page_names_the_linked_records_for_whoever_may_read_them(client, team_world):
    cast = team_world.cast
    deal = make_deal(
        cast.acme, cast.owner, team_world.pipeline, owner=cast.member,
        company=team_world.hidden["company"],
    )  # fmt: skip
    login(client, cast.owner)
    body = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert HIDDEN_COMPANY in body
