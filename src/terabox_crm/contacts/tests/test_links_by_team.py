"""A contact's company and the contact merged into another, under team
visibility (S6): the services, the API and the contact form refuse a record
the member may not read exactly as one that does not exist, record the
attempt, accept one they may read and keep a link a colleague made; pages
and search suggestions never show the name of a company the viewer may not
read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services
from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.services import ContactData
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.testing.auth import login
from terabox_crm.testing.links import HIDDEN_COMPANY, HIDDEN_FAMILY, refusals_recorded

URL = "/api/v1/contacts/"


def _count(world) -> int:
    with scopes_disabled():
        return Contact.objects.filter(workspace=world.cast.acme).count()


def _member(world):
    return member_of(world.cast.acme, world.cast.member)


def _create(world, company_id):
    with scope(workspace=world.cast.acme):
        return services.contact_create(
            membership=_member(world), data=ContactData(family_name="New", company_id=company_id)
        )


def _refused(world, company_id) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        _create(world, company_id)
    return refused.value


def _colleagues_contact(world):
    """A contact the member owns, linked by the owner to the hidden company."""
    owner = member_of(world.cast.acme, world.cast.owner)
    return make_contact(
        owner, family="Shared", owner_id=world.cast.member.pk, company_id=world.hidden["company"].pk
    )


# --- The services --------------------------------------------------------------------------


def test_the_service_refuses_a_company_the_member_may_not_read_as_one_that_does_not_exist(
    team_world,
):
    before = _count(team_world)
    hidden = _refused(team_world, team_world.hidden["company"].pk)
    unknown = _refused(team_world, team_world.unknown())
    assert hidden.message_dict == unknown.message_dict
    assert list(hidden.message_dict) == ["company_id"]
    assert _count(team_world) == before


def test_the_service_records_the_refused_company(team_world):
    _refused(team_world, team_world.hidden["company"].pk)
    (event,) = refusals_recorded()
    assert (event.object_id, event.payload["attempted"]) == (
        str(team_world.hidden["company"].pk),
        "link.company_id",
    )


def test_the_service_links_a_company_the_member_may_read(team_world):
    contact = _create(team_world, team_world.mine["company"].pk)
    assert contact.company_id == team_world.mine["company"].pk


def test_an_update_refuses_a_new_company_the_member_may_not_read(team_world):
    contact = make_contact(_member(team_world), family="Mine")
    with scope(workspace=team_world.cast.acme), pytest.raises(ValidationError) as refused:
        data = services.contact_data_of(contact)
        data.company_id = team_world.hidden["company"].pk
        services.contact_update(membership=_member(team_world), contact=contact, data=data)
    assert list(refused.value.message_dict) == ["company_id"]


def test_an_update_keeps_a_company_a_colleague_linked(team_world):
    contact = _colleagues_contact(team_world)
    with scope(workspace=team_world.cast.acme):
        data = services.contact_data_of(contact)
        data.job_title = "Buyer"
        saved = services.contact_update(membership=_member(team_world), contact=contact, data=data)
    assert (saved.job_title, saved.company_id) == ("Buyer", team_world.hidden["company"].pk)


def test_merging_refuses_a_contact_the_member_may_not_read_as_one_that_does_not_exist(
    team_world,
):
    keep = team_world.mine["contact"]
    refused = []
    for away in (team_world.hidden["contact"].pk, team_world.unknown()):
        with scope(workspace=team_world.cast.acme), pytest.raises(ValidationError) as caught:
            services.contact_merge(membership=_member(team_world), keep=keep, merge_away=away)
        refused.append(caught.value.message_dict)
    assert refused[0] == refused[1]
    assert list(refused[0]) == ["merge_away"]
    assert _count(team_world) == 2
    (event,) = refusals_recorded()
    assert event.payload["attempted"] == "link.merge_away"


def test_merging_a_readable_contact_works(team_world):
    keep = team_world.mine["contact"]
    away = make_contact(_member(team_world), family="Visible", given="Twin")
    with scope(workspace=team_world.cast.acme):
        services.contact_merge(membership=_member(team_world), keep=keep, merge_away=away.pk)
    with scopes_disabled():
        assert not Contact.objects.filter(pk=away.pk).exists()


# --- The API -------------------------------------------------------------------------------


def _api(client, method, url, data):
    return getattr(client, method)(url, data, content_type="application/json", secure=True)


def test_the_api_refuses_a_company_the_member_may_not_read_as_one_that_does_not_exist(
    client, team_world
):
    login(client, team_world.cast.member)
    before = _count(team_world)
    hidden = _api(client, "post", URL, {"family_name": "X", "company_id": str(team_world.hidden["company"].pk)})  # fmt: skip
    unknown = _api(client, "post", URL, {"family_name": "X", "company_id": team_world.unknown()})
    assert hidden.status_code == 400
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json() == unknown.json()
    assert list(hidden.json()["errors"]) == ["company_id"]
    assert _count(team_world) == before
    assert len(refusals_recorded()) == 1


def test_the_api_refuses_changing_the_company_to_one_the_member_may_not_read(client, team_world):
    contact = team_world.mine["contact"]
    login(client, team_world.cast.member)
    response = _api(
        client, "patch", f"{URL}{contact.pk}/", {"company_id": str(team_world.hidden["company"].pk)}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["company_id"]


def test_the_api_links_a_company_the_member_may_read(client, team_world):
    login(client, team_world.cast.member)
    response = _api(
        client, "post", URL, {"family_name": "X", "company_id": str(team_world.mine["company"].pk)}
    )
    assert response.status_code == 201, response.content
    assert response.json()["company_id"] == str(team_world.mine["company"].pk)


def test_the_api_edits_a_contact_whose_company_a_colleague_linked(client, team_world):
    contact = _colleagues_contact(team_world)
    login(client, team_world.cast.member)
    response = _api(client, "patch", f"{URL}{contact.pk}/", {"job_title": "Buyer"})
    assert response.status_code == 200, response.content
    assert response.json()["company_id"] == str(team_world.hidden["company"].pk)
    assert HIDDEN_COMPANY not in response.content.decode()


def test_the_api_refuses_merging_a_contact_the_member_may_not_read_as_one_that_does_not_exist(
    client, team_world
):
    keep = team_world.mine["contact"]
    login(client, team_world.cast.member)
    url = f"{URL}{keep.pk}/merge/"
    hidden = _api(client, "post", url, {"merge_away": str(team_world.hidden["contact"].pk)})
    unknown = _api(client, "post", url, {"merge_away": team_world.unknown()})
    assert hidden.status_code == 400
    assert hidden.json() == unknown.json()
    assert list(hidden.json()["errors"]) == ["merge_away"]
    assert len(refusals_recorded()) == 1


# --- The form ------------------------------------------------------------------------------


def _form(company: str, **extra) -> dict:
    return {
        "family_name": "Form",
        "company_name": "Something",
        "company": company,
        "stage": "lead",
        "source": "direct",
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "phones-TOTAL_FORMS": "0",
        "phones-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choose a company of this workspace."),
        ("ja", "このワークスペースの会社を選んでください。"),
    ],
)
def test_the_form_refuses_a_company_the_member_may_not_read_with_a_translated_error(
    client, team_world, language, message
):
    login(client, team_world.cast.member)
    before = _count(team_world)
    response = client.post(
        reverse("contacts:create"),
        _form(str(team_world.hidden["company"].pk)),
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert HIDDEN_COMPANY not in body
    assert _count(team_world) == before
    assert len(refusals_recorded()) == 1


def test_the_edit_form_keeps_a_company_a_colleague_linked_without_naming_it(client, team_world):
    contact = _colleagues_contact(team_world)
    hidden = str(team_world.hidden["company"].pk)
    login(client, team_world.cast.member)
    url = reverse("contacts:edit", args=[contact.pk])
    form = client.get(url, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert HIDDEN_COMPANY not in form
    assert "a record you cannot see" in form
    data = _form(hidden, family_name="Shared", company_name="", job_title="Buyer")
    data["owner"] = str(team_world.cast.member.pk)
    saved = client.post(url, data, secure=True)
    assert saved.status_code == 302
    with scopes_disabled():
        contact.refresh_from_db()
    assert (contact.job_title, str(contact.company_id)) == ("Buyer", hidden)
    assert refusals_recorded() == []


# --- Pages and suggestions -----------------------------------------------------------------


def test_the_contact_page_does_not_name_a_company_the_viewer_may_not_read(client, team_world):
    contact = _colleagues_contact(team_world)
    login(client, team_world.cast.member)
    page = client.get(reverse("contacts:detail", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert HIDDEN_COMPANY not in body
    assert "a record you cannot see" in body


def test_the_contact_list_does_not_name_a_company_the_viewer_may_not_read(client, team_world):
    _colleagues_contact(team_world)
    login(client, team_world.cast.member)
    body = client.get(reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shared" in body
    assert HIDDEN_COMPANY not in body


def test_the_home_page_does_not_name_a_company_the_viewer_may_not_read(client, team_world):
    _colleagues_contact(team_world)
    login(client, team_world.cast.member)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shared" in body
    assert HIDDEN_COMPANY not in body


def test_search_suggestions_do_not_name_a_company_the_viewer_may_not_read(team_world):
    from terabox_crm.web import selectors

    _colleagues_contact(team_world)
    with scope(workspace=team_world.cast.acme), translation.override("en"):
        found = selectors.suggestions(_member(team_world), "Shared")
    assert [suggestion.detail for suggestion in found.contacts] == ["a record you cannot see"]


def test_a_contact_the_viewer_may_not_read_is_not_named_anywhere_on_the_deal_board(
    client, team_world
):
    login(client, team_world.cast.member)
    body = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert HIDDEN_FAMILY not in body and HIDDEN_COMPANY not in body
