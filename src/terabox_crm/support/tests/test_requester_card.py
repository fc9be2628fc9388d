"""A ticket's requester card (SPEC §2, S6, P7): the contact and company who
asked, shown with the contact's email and the restriction mark, and set from
the card by whoever may change the ticket — found by name among records of
the workspace they may read; another workspace's or an unreadable one is
refused as one that does not exist. Each change is audited (field names)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.privacy.tests.support import privacy_officer, restrict
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


@pytest.fixture
def people(cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="みなと商事")
    contact = make_contact(member, company_id=company.pk, emails=["hanako@minato.example"])
    return company, contact


def _requester(cast, ticket):
    with scope(workspace=cast.acme):
        fresh = Ticket.objects.get(pk=ticket.pk)
    return fresh.contact_id, fresh.company_id


def test_the_requester_is_set_from_the_card_and_audited(client, cast, people):
    company, contact = people
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    url = reverse("support:ticket", args=[ticket.pk])
    finder = client.get(f"{url}?requester=change&find=山田").content.decode()
    assert contact.display_name in finder
    assert f'name="contact" value="{contact.pk}"' in finder
    response = client.post(
        reverse("support:requester", args=[ticket.pk]),
        {"contact": str(contact.pk), "company": str(company.pk)},
    )
    assert response.status_code == 302
    assert _requester(cast, ticket) == (contact.pk, company.pk)
    page = client.get(url).content.decode()
    assert contact.display_name in page and "hanako@minato.example" in page and "みなと商事" in page
    with scopes_disabled():
        event = AuditEvent.objects.get(action="support.ticket.requester_changed")
    assert event.object_id == str(ticket.pk)
    assert sorted(event.payload["fields"]) == ["company", "contact"]
    assert "山田" not in str(event.payload)


def test_the_requester_is_removed_from_the_card(client, cast, people):
    company, contact = people
    ticket = open_ticket(cast.acme, cast.member, contact=contact, company=company)
    login(client, cast.member)
    client.post(reverse("support:requester", args=[ticket.pk]), {})
    assert _requester(cast, ticket) == (None, None)


def test_a_restricted_requester_is_marked_on_the_card(client, cast, people):
    _company, contact = people
    ticket = open_ticket(cast.acme, cast.member, contact=contact)
    restrict(privacy_officer(cast.acme), contact)
    login(client, cast.member)
    page = client.get(reverse("support:ticket", args=[ticket.pk])).content.decode()
    assert "badge badge-danger" in page


@pytest.mark.parametrize("field", ["contact", "company"])
def test_another_workspaces_requester_is_refused_and_nothing_changes(client, team_world, field):
    cast = team_world.cast
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    for record in (team_world.foreign[field], team_world.hidden[field]):
        response = client.post(
            reverse("support:requester", args=[ticket.pk]), {field: str(record.pk)}
        )
        assert response.status_code == 404
        assert _requester(cast, ticket) == (None, None)


def test_the_finder_never_offers_another_workspaces_contacts(client, team_world):
    cast = team_world.cast
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    foreign = team_world.foreign["company"]
    url = reverse("support:ticket", args=[ticket.pk])
    page = client.get(f"{url}?requester=change&find={foreign.name}").content.decode()
    assert str(foreign.pk) not in page


def test_a_viewer_sees_the_card_but_cannot_set_it(client, cast, people):
    _company, contact = people
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.viewer)
    page = client.get(
        reverse("support:ticket", args=[ticket.pk]) + "?requester=change&find=山田"
    ).content.decode()
    assert reverse("support:requester", args=[ticket.pk]) not in page
    response = client.post(
        reverse("support:requester", args=[ticket.pk]), {"contact": str(contact.pk)}
    )
    assert response.status_code == 403
    assert _requester(cast, ticket) == (None, None)


def test_the_new_ticket_form_takes_the_requester_from_a_contact_page(client, cast, people):
    company, contact = people
    login(client, cast.member)
    url = f"{reverse('support:create')}?contact={contact.pk}&company={company.pk}"
    assert contact.display_name in client.get(url).content.decode()
    response = client.post(
        url,
        {"subject": "届かない", "priority": "normal", "contact": contact.pk, "company": company.pk},
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        ticket = Ticket.objects.get(contact=contact)
    assert ticket.company_id == company.pk


def test_the_new_ticket_form_is_a_404_for_another_workspaces_contact(client, team_world):
    login(client, team_world.cast.member)
    foreign = team_world.foreign["contact"]
    assert client.get(f"{reverse('support:create')}?contact={foreign.pk}").status_code == 404


def test_the_ticket_page_queries_do_not_grow_with_the_requester(
    client, cast, people, django_assert_max_num_queries
):
    company, contact = people
    ticket = open_ticket(cast.acme, cast.member, contact=contact, company=company)
    login(client, cast.member)
    url = reverse("support:ticket", args=[ticket.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200
