"""The API contract against the real server, as a client meets it: deep or
oversize JSON bodies are problem details, never a 500, and change nothing
(S1, S7); query values outside the schema and dates outside 1900–2200 are
refused; every date-time comes back in UTC; the served schema documents the
problem responses."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from serving import COMMAND, Served, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"
CONTACTS = "/api/v1/contacts/"


def run(env, *args):
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """A server on a fresh data dir, and a client holding an owner's token."""
    directory = tmp_path_factory.mktemp("bodies")
    env = clean_env(directory, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    run(env, "createowner", "--email", "owner@example.com", "--workspace", "Acme")
    token = run(env, "token", "--email", "owner@example.com", "--workspace", "Acme",
                "--scopes", "read,write").stdout.strip()  # fmt: skip
    served = Served(directory, [], clean_env(directory)).wait_ready()
    with served.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
    served.kill()


def nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def post(client, body: str | bytes):
    return client.post(CONTACTS, content=body, headers={"Content-Type": "application/json"})


def contact_count(client) -> int:
    return len(client.get(CONTACTS).json()["results"])


def test_an_array_nested_50000_deep_is_a_400_problem(api):
    response = post(api, nested(50_000))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-deep")


def test_notes_nested_5000_deep_are_a_400_problem_that_creates_nothing(api):
    response = post(api, '{"family_name": "X", "notes": ' + nested(5_000) + "}")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/too-deep")
    assert contact_count(api) == 0


def test_malformed_json_is_a_400_problem(api):
    response = post(api, b'{"family_name": "\xff"}')
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-json")


def test_a_json_body_over_one_mebibyte_is_a_413_problem(api):
    response = post(api, '{"family_name": "X", "notes": "' + "x" * (1024 * 1024) + '"}')
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-large")
    assert contact_count(api) == 0


def test_the_refusal_is_on_the_security_trail(api):
    post(api, nested(5_000))
    events = api.get("/api/v1/security-events/", params={"action": "security.request.too_deep"})
    assert events.status_code == 200
    assert len(events.json()["results"]) == 1


def test_a_sound_body_is_still_created(api):
    response = post(api, '{"family_name": "X", "notes": "fine"}')
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("value", ["null", "abc", "0", "201"])
def test_a_page_size_outside_the_schema_is_a_400_problem(api, value):
    response = api.get(CONTACTS, params={"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_a_sort_outside_its_enum_is_a_400_problem(api):
    response = api.get(CONTACTS, params={"sort": "name"})
    assert response.status_code == 400
    assert "sort" in response.json()["errors"]


@pytest.mark.parametrize(
    "times",
    [
        {"due_at": "0001-01-01T00:00:00Z"},
        {"due_at": "2026-05-01T00:00:00Z", "remind_at": "0391-06-27T13:23:09Z"},
    ],
)
def test_a_task_outside_1900_to_2200_is_a_400_problem(api, times):
    response = api.post("/api/v1/tasks/", json={"title": "x", **times})
    assert response.status_code == 400
    assert set(times) & set(response.json()["errors"])
    assert api.get("/api/v1/tasks/").json()["results"] == []


def test_a_ticket_answers_every_time_in_utc(api):
    ticket = api.post("/api/v1/tickets/", json={"subject": "Help"}).json()
    times = [ticket[name] for name in ("created_at", "updated_at", "first_response_due_at")]
    times.append(ticket["sla"]["due_at"])
    assert all(value.endswith("Z") for value in times), times


def test_the_served_schema_documents_problem_responses(api):
    schema = api.get("/api/schema/", params={"format": "json"}).json()
    operation = schema["paths"]["/api/v1/contacts/{contact_id}/"]["patch"]
    assert {"400", "401", "403", "404", "413", "415"} <= set(operation["responses"])
    assert operation["tags"] == ["contacts"] and operation["summary"]


def test_the_first_schema_requests_arriving_together_all_succeed(serve):
    """drf-spectacular loads its extensions on the first schema, not thread-safely."""
    served = serve()
    with served.client() as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.get("/api/schema/").status_code, range(8)))
    assert statuses == [200] * 8
