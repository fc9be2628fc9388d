"""``/api/v1/consents/`` (P7): list a contact's ledger, append events, problem
details on bad input."""

from django_scopes import scopes_disabled

from terabox_crm.privacy.models import ConsentEvent
from terabox_crm.privacy.tests.support import make_contact, member_of
from terabox_crm.testing.auth import login

URL = "/api/v1/consents/"


def _post(client, **body):
    return client.post(URL, body, content_type="application/json")


def test_grant_withdraw_and_list(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.member)
    granted = _post(
        client,
        contact=str(contact.pk),
        purpose="communication",
        kind="grant",
        evidence="電話で口頭同意",
    )
    assert granted.status_code == 201, granted.content
    assert granted.json()["channel"] == "api"
    assert (
        _post(
            client,
            contact=str(contact.pk),
            purpose="communication",
            kind="withdraw",
            channel="email",
        ).status_code
        == 201
    )
    listed = client.get(URL, {"contact": str(contact.pk)})
    assert listed.status_code == 200
    kinds = [item["kind"] for item in listed.json()["results"]]
    assert kinds == ["withdraw", "grant"]
    assert listed.json()["results"][1]["evidence"] == "電話で口頭同意"


def test_withdrawing_a_consent_never_given_is_a_problem_and_nothing_changes(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.member)
    response = _post(client, contact=str(contact.pk), purpose="communication", kind="withdraw")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["title"]
    with scopes_disabled():
        assert not ConsentEvent.objects.exists()


def test_bad_input_is_a_problem(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.member)
    for body in (
        {"contact": str(contact.pk), "purpose": "nothing", "kind": "grant"},
        {"contact": str(contact.pk), "purpose": "communication", "kind": "maybe"},
        {"contact": "not-an-id", "purpose": "communication", "kind": "grant"},
    ):
        response = _post(client, **body)
        assert response.status_code == 400, body
        assert response["Content-Type"].startswith("application/problem+json")


def test_another_workspace_s_contact_is_not_found(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.outsider)
    assert client.get(URL, {"contact": str(contact.pk)}).status_code == 404
    response = _post(client, contact=str(contact.pk), purpose="communication", kind="grant")
    assert response.status_code == 404
    with scopes_disabled():
        assert not ConsentEvent.objects.exists()


def test_viewers_read_but_do_not_record(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.viewer)
    assert client.get(URL, {"contact": str(contact.pk)}).status_code == 200
    response = _post(client, contact=str(contact.pk), purpose="communication", kind="grant")
    assert response.status_code == 403


def test_the_resource_is_in_the_schema(client, cast):
    login(client, cast.member)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert "/api/v1/consents/" in schema.content.decode()
