"""``/api/v1/audit-events/`` and ``/api/v1/security-events/``."""

import base64

import pytest
from django.urls import reverse

from terabox_crm import audit
from terabox_crm.audit.models import AuditEvent
from terabox_crm.audit.tests.conftest import (  # _fresh_signer: autouse, as in audit's tests
    PLAIN_EVENT,
    SECURITY_EVENT,
    _fresh_signer,  # noqa: F401
    chain_of,
    record_from,
)
from terabox_crm.testing.auth import login

EVENTS = reverse("api:v1:audit-event-list")
SECURITY = reverse("api:v1:security-event-list")


def event_url(event) -> str:
    return reverse("api:v1:audit-event-detail", args=[event.hash])


def api_get(client, url, **kwargs):
    return client.get(url, secure=True, HTTP_ACCEPT="application/json", **kwargs)


@pytest.fixture
def events(cast):
    acme = record_from(
        action=PLAIN_EVENT,
        workspace=cast.acme,
        actor=cast.admin,
        personal={"display_name": {"before": "Old", "after": "New"}},
    )
    denial = record_from(ip="198.51.100.9", action=SECURITY_EVENT, workspace=cast.acme)
    globex = record_from(ip="192.0.2.66", action=PLAIN_EVENT, workspace=cast.globex)
    return {"acme": acme, "denial": denial, "globex": globex}


def test_anonymous_requests_get_problem_details(client, events):
    response = api_get(client, EVENTS)
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthenticated")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_are_forbidden(client, cast, events, role):
    login(client, getattr(cast, role))
    response = api_get(client, EVENTS)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")


def test_a_forbidden_api_request_is_a_security_event(client, cast, events):
    login(client, cast.viewer)
    api_get(client, EVENTS)
    denial = AuditEvent.objects.filter(
        chain=chain_of(cast.acme), action="security.permission.denied", actor_id=cast.viewer.pk
    ).last()
    assert denial is not None
    assert denial.payload["attempted"] == "audit.view"
    assert denial.channel == "api"


def test_admins_list_their_workspaces_events_newest_first(client, cast, events):
    login(client, cast.admin)
    response = api_get(client, EVENTS)
    assert response.status_code == 200
    results = response.json()["results"]
    hashes = [item["hash"] for item in results]
    assert events["acme"].hash in hashes
    assert events["globex"].hash not in hashes
    seqs = [item["seq"] for item in results]
    assert seqs == sorted(seqs, reverse=True)


def test_the_list_carries_no_decrypted_personal_data(client, cast, events):
    login(client, cast.admin)
    body = api_get(client, EVENTS).content.decode()
    assert "203.0.113.7" not in body
    assert "Old" not in body
    assert cast.admin.email not in body


def test_retrieve_decrypts_the_personal_detail(client, cast, events):
    login(client, cast.admin)
    response = api_get(client, event_url(events["acme"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["ip"] == "203.0.113.7"
    assert body["device"] == "Chrome 120 on Windows 10"
    assert body["actor"] == cast.admin.email
    assert body["personal"] == [
        {"field": "display_name", "before": "Old", "after": "New", "value": None}
    ]
    assert body["event"]["hash"] == events["acme"].hash
    assert body["event"]["label"] == "Member role changed"


def test_the_outsider_never_sees_acme_events_in_the_list(client, cast, events):
    login(client, cast.outsider)
    body = api_get(client, EVENTS).json()
    hashes = {item["hash"] for item in body["results"]}
    assert hashes == {events["globex"].hash}


def test_the_outsider_gets_404_for_an_acme_event(client, cast, events):
    login(client, cast.outsider)
    response = api_get(client, event_url(events["acme"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "203.0.113.7" not in response.content.decode()


def test_a_system_chain_event_is_not_found_through_the_api(client, cast, events):
    system = audit.record(SECURITY_EVENT)
    login(client, cast.owner)
    assert api_get(client, event_url(system)).status_code == 404


def test_security_events_list_only_security_events(client, cast, events):
    login(client, cast.admin)
    hashes = {item["hash"] for item in api_get(client, SECURITY).json()["results"]}
    assert events["denial"].hash in hashes
    assert events["acme"].hash not in hashes


def test_a_plain_event_is_not_found_under_security_events(client, cast, events):
    login(client, cast.admin)
    url = reverse("api:v1:security-event-detail", args=[events["acme"].hash])
    assert api_get(client, url).status_code == 404


def test_pages_follow_an_opaque_cursor(client, cast, events):
    for n in range(5):
        audit.record(PLAIN_EVENT, workspace=cast.acme, payload={"n": n})
    login(client, cast.admin)
    first = api_get(client, EVENTS, data={"page_size": 3}).json()
    assert len(first["results"]) == 3
    second = api_get(client, first["next"]).json()
    first_seqs = [item["seq"] for item in first["results"]]
    second_seqs = [item["seq"] for item in second["results"]]
    assert max(second_seqs) < min(first_seqs)


def test_a_page_size_over_two_hundred_is_refused(client, cast, events):
    from terabox_crm.api.pagination import KeysetPagination

    assert KeysetPagination.max_page_size == 200
    login(client, cast.admin)
    response = api_get(client, EVENTS, data={"page_size": 10_000})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        base64.b64encode(b"o=1&r=0&p=not-a-number").decode(),
        base64.b64encode(b"o=-5").decode(),
    ],
)
def test_a_malformed_cursor_is_a_400_problem(client, cast, events, cursor):
    login(client, cast.admin)
    response = api_get(client, EVENTS, data={"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "https://terabox-crm.dev/problems/invalid-cursor"
    assert body["title"] == "The page cursor is not valid. Start again from the first page."


def test_the_invalid_cursor_message_is_translated(client, cast, events):
    login(client, cast.admin)
    response = api_get(client, EVENTS, data={"cursor": "x"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert (
        response.json()["title"]
        == "ページのカーソルが正しくありません。最初のページからやり直してください。"
    )


def test_the_api_is_read_only(client, cast, events):
    login(client, cast.admin)
    response = client.delete(event_url(events["acme"]), secure=True)
    assert response.status_code in (403, 405)
    assert AuditEvent.objects.filter(pk=events["acme"].pk).exists()


def test_the_schema_describes_the_audit_endpoints(client, cast):
    login(client, cast.admin)
    response = client.get(reverse("api:schema"), secure=True, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/audit-events/{event_hash}/" in text
    assert "AuditEventDetailOut" in text
