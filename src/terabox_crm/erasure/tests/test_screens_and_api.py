"""The erase screen (ja/en, step-up, privacy officers only), the API endpoint
with problem details, and the suppression warning on a later create (P8)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.api import services as api_services
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.erasure import services
from terabox_crm.erasure.models import Tombstone
from terabox_crm.erasure.tests import world
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _url(person):
    return reverse("erasure:confirm", args=[person.contact.pk])


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Erase Canarina Qzerasev?", "cannot be undone", "3 records", "Reason"]),
        ("ja", ["Canarina Qzerasevを消去しますか？", "元に戻せません", "理由"]),
    ],
)
def test_the_confirmation_says_what_will_happen(client, cast, language, texts):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=True)
    page = client.get(_url(person), secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    body = page.content.decode()
    for text in texts:
        assert text in body
    detail = client.get(
        reverse("contacts:detail", args=[person.contact.pk]),
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert _url(person) in detail.content.decode()


def test_erasing_from_the_screen(client, cast):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=True)
    missing = client.post(_url(person), {"reason": "DSR"}, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400
    assert "Tick the box to confirm." in missing.content.decode()
    done = client.post(
        _url(person), {"reason": "DSR 7", "confirm": "on"}, secure=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert done.status_code == 302
    with scopes_disabled():
        assert not Contact.objects.filter(pk=person.contact.pk).exists()
    again = client.get(_url(person), secure=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert again.status_code == 200
    assert "既に消去" in again.content.decode()
    second = client.post(
        _url(person), {"reason": "again", "confirm": "on"}, secure=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert second.status_code == 409
    assert "already erased" in second.content.decode()
    with scopes_disabled():
        assert Tombstone.objects.count() == 1


def test_the_screen_needs_a_fresh_step_up(client, cast):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=False)
    response = client.get(_url(person), secure=True)
    assert response.status_code == 302
    assert reverse("accounts:step_up") in response["Location"]
    response = client.post(_url(person), {"reason": "x", "confirm": "on"}, secure=True)
    assert response.status_code == 302
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()


def test_the_screen_is_for_privacy_officers_only(client, cast):
    person = world.make_person(cast)
    login(client, cast.owner, step_up=True)
    assert client.get(_url(person), secure=True).status_code == 403
    detail = client.get(reverse("contacts:detail", args=[person.contact.pk]), secure=True)
    assert _url(person) not in detail.content.decode()


def test_another_workspace_contact_is_a_404(client, cast):
    person = world.make_person(cast)
    foreign = make_contact(member_of(cast.globex, cast.outsider), family="Foreign")
    login(client, cast.admin, step_up=True)
    url = reverse("erasure:confirm", args=[foreign.pk])
    assert client.get(url, secure=True).status_code == 404
    assert client.post(url, {"reason": "x", "confirm": "on"}, secure=True).status_code == 404
    with scopes_disabled():
        assert Contact.objects.filter(pk=foreign.pk).exists()
    assert person.contact.pk


def _api(person):
    return reverse("api:contact-erase", args=[person.contact.pk])


def test_the_api_erases_with_problem_details(client, cast):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=True)
    empty = client.post(_api(person), {}, content_type="application/json", secure=True)
    assert empty.status_code == 400
    assert empty["Content-Type"] == "application/problem+json"
    done = client.post(
        _api(person),
        {"reason": "DSR 9", "request_id": "dsr-9"},
        content_type="application/json",
        secure=True,
    )
    assert done.status_code == 200, done.content
    assert done.json()["subject_id"] == str(person.contact.pk)
    again = client.post(
        _api(person),
        {"reason": "DSR 9"},
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["type"].endswith("/already-erased")
    assert "既に消去" in again.json()["title"]


def test_the_api_needs_step_up_for_a_session_and_the_capability(client, cast):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=False)
    response = client.post(
        _api(person), {"reason": "x"}, content_type="application/json", secure=True
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/step-up-required")
    with scope(workspace=cast.acme):
        token = api_services.token_create(
            membership=member_of(cast.acme, cast.owner), name="t", scopes="read,write", days=1
        ).secret
    client.logout()
    response = client.post(
        _api(person),
        {"reason": "x"},
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()


def test_a_later_create_of_an_erased_address_is_flagged(client, cast):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        services.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    again = make_contact(member_of(cast.acme, cast.owner), family="Again", emails=[world.EMAIL])
    assert again.suppressed == [world.EMAIL]
    with scopes_disabled():
        event = AuditEvent.objects.get(action="privacy.suppression.matched")
        assert event.object_id == str(again.pk)
        assert event.payload == {"emails": 1, "phones": 0}
    login(client, cast.member)
    response = client.post(
        reverse("contacts:create"),
        {
            "family_name": "Back",
            "stage": "lead",
            "source": "direct",
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-value": world.PHONE,
            "confirm_duplicate": "on",
        },
        secure=True,
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "belonged to a person erased at their request" in body
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="privacy.suppression.matched").count() == 2


def test_the_api_answers_404_for_another_workspace_contact(client, cast):
    world.make_person(cast)
    foreign = make_contact(member_of(cast.globex, cast.outsider), family="Foreign")
    login(client, cast.admin, step_up=True)
    response = client.post(
        reverse("api:contact-erase", args=[foreign.pk]),
        {"reason": "x"},
        content_type="application/json",
        secure=True,
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    with scopes_disabled():
        assert Contact.objects.filter(pk=foreign.pk).exists()
        assert not Tombstone.objects.exists()
