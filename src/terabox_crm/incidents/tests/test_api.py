"""``/api/v1/incidents/`` (S13): list, read, open, change, timeline; bad
input is an RFC 9457 problem, another workspace's incident a 404."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.incidents.models import Incident
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"


def test_open_read_change_and_timeline(client, cast):
    login(client, cast.admin)
    created = client.post(
        API,
        {
            "title": "Token leaked in a public repository",
            "severity": "critical",
            "source": "token",
            "source_user": str(cast.member.pk),
            "detected_at": "2026-12-01T00:00:00Z",
            "data_categories": ["contact"],
            "preliminary_days": 4,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["title"] == "Token leaked in a public repository"
    assert body["source_user"] == str(cast.member.pk)
    assert {clock["code"] for clock in body["clocks"]} == {"gdpr", "appi_preliminary", "appi_final"}
    url = f"{API}{body['id']}/"
    changed = client.patch(
        url, {"status": "contained", "malicious": True}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["malicious"]) == ("contained", True)
    assert client.get(API).json()["results"][0]["id"] == body["id"]
    added = client.post(
        f"{url}timeline/", {"text": "Token revoked."}, content_type="application/json"
    )
    assert added.status_code == 201
    timeline = client.get(f"{url}timeline/").json()
    assert [entry["text"] for entry in timeline] == ["Token revoked."]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "preliminary_days": 6}, "preliminary_days"),
        ({"title": "x", "data_categories": ["secrets"]}, "data_categories"),
        ({"title": "x", "owner": "00000000-0000-0000-0000-000000000001"}, "owner"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_is_a_problem_and_nothing_is_saved(client, cast, payload, field):
    login(client, cast.admin)
    response = client.post(API, payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.content.decode()
    with scopes_disabled():
        assert not Incident.objects.exists()


def test_members_are_refused_and_other_workspaces_are_not_found(client, cast):
    ours = open_incident(cast.acme, cast.owner)
    theirs = open_incident(cast.globex, cast.outsider, title="Globex secret")
    login(client, cast.member)
    assert client.get(API).status_code == 403
    assert client.post(API, {"title": "x"}, content_type="application/json").status_code == 403
    login(client, cast.admin)
    assert client.get(f"{API}{ours.pk}/").status_code == 200
    assert client.get(f"{API}{theirs.pk}/").status_code == 404
    assert (
        client.patch(
            f"{API}{theirs.pk}/", {"title": "y"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}{theirs.pk}/timeline/", {"text": "y"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert "Globex secret" not in client.get(API).content.decode()


def test_the_schema_documents_the_timeline_as_the_list_it_answers(client, cast):
    """Found by the API fuzz: the schema said a paginated page, the answer is
    a plain list of at most 500 entries."""
    login(client, cast.admin)
    schema = client.get("/api/schema/?format=json", secure=True).json()
    answer = schema["paths"]["/api/v1/incidents/{incident_id}/timeline/"]["get"]["responses"]["200"]
    body = answer["content"]["application/json"]["schema"]
    assert body["type"] == "array"
