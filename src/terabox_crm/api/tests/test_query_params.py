"""Query parameters: what the schema admits is accepted, what it does not is a
400 problem naming the parameter — never ignored, never a silent default
(``api.query``, ``api.pagination``)."""

from __future__ import annotations

import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from terabox_crm.api.tests.conftest import bearer
from terabox_crm.contacts.tests.support import make_contact, member_of

LISTS = [
    "/api/v1/contacts/",
    "/api/v1/companies/",
    "/api/v1/tags/",
    "/api/v1/pipelines/",
    "/api/v1/deals/",
    "/api/v1/activities/",
    "/api/v1/tasks/",
    "/api/v1/tickets/",
    "/api/v1/audit-events/",
    "/api/v1/security-events/",
    "/api/v1/webhook-endpoints/",
]


@pytest.fixture
def get(client, cast, make_token):
    secret = make_token(cast.owner, scopes="read")

    def call(url, params=None):
        return client.get(url, params or {}, secure=True, **bearer(secret))

    return call


def assert_refused(response, parameter: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert parameter in problem["errors"]


@pytest.mark.parametrize("value", ["null", "abc", "0", "201", "", "1.5", "-1", "１０"])
@pytest.mark.parametrize("url", LISTS)
def test_a_page_size_outside_1_to_200_is_refused(get, url, value):
    assert_refused(get(url, {"page_size": value}), "page_size")


@pytest.mark.parametrize("value", ["1", "200"])
def test_a_page_size_from_1_to_200_is_read(get, value):
    assert get("/api/v1/contacts/", {"page_size": value}).status_code == 200


def test_a_page_size_limits_the_page(get, cast):
    owner = member_of(cast.acme, cast.owner)
    for name in ("A", "B", "C"):
        make_contact(owner, family=name)
    body = get("/api/v1/contacts/", {"page_size": "2"}).json()
    assert len(body["results"]) == 2 and body["next"]


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/api/v1/contacts/", "sort", "name"),
        ("/api/v1/contacts/", "stage", "won"),
        ("/api/v1/contacts/", "source", "web"),
        ("/api/v1/contacts/", "owner", "not-an-id"),
        ("/api/v1/contacts/", "tag", "6e6608c0540f43a2a07336946661b8f2"),  # not in 8-4-4-4-12 form
        ("/api/v1/contacts/", "q", "x" * 201),
        ("/api/v1/companies/", "sort", "-name"),
        ("/api/v1/companies/", "owner", "1"),
        ("/api/v1/deals/", "stage", "lead"),
        ("/api/v1/deals/", "pipeline", "{6e6608c0-540f-43a2-a073-36946661b8f2}"),
        ("/api/v1/activities/", "contact", "x"),
        ("/api/v1/tasks/", "status", "closed"),
        ("/api/v1/tasks/", "mine", "yes"),
        ("/api/v1/tickets/", "status", "waiting"),
        ("/api/v1/tickets/", "status", ""),
        ("/api/v1/tickets/", "mine", "2"),
        ("/api/v1/audit-events/", "action", "contacts.contact.exploded"),
        ("/api/v1/security-events/", "action", "contacts.contact.created"),
    ],
)
def test_a_value_outside_the_schema_is_refused(get, url, parameter, value):
    assert_refused(get(url, {parameter: value}), parameter)


def _enumerated_parameters():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in LISTS:
        for parameter in schema["paths"][path]["get"].get("parameters", []):
            node = parameter["schema"]
            if "$ref" in node:
                node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
            for value in node.get("enum", []):
                yield path, parameter["name"], value
            if node.get("type") == "boolean":
                yield path, parameter["name"], "true"
                yield path, parameter["name"], "false"
            if node.get("format") == "uuid":
                yield path, parameter["name"], str(uuid.uuid4())


def test_every_value_the_schema_admits_is_accepted(db, get, cast):
    cases = list(_enumerated_parameters())
    assert len(cases) > 100  # sort, stage, source, status, mine, every event type, ids
    refused = [
        (path, name, value)
        for path, name, value in cases
        if get(path, {name: value}).status_code != 200
    ]
    assert refused == []


def test_a_filter_still_filters(get, cast):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, family="Lead", stage="lead")
    make_contact(owner, family="Customer", stage="customer")
    body = get("/api/v1/contacts/", {"stage": "customer"}).json()
    assert [row["family_name"] for row in body["results"]] == ["Customer"]


def test_parameters_a_list_does_not_declare_are_not_its_business(get):
    assert get("/api/v1/contacts/", {"utm_source": "newsletter"}).status_code == 200


def test_a_bad_filter_on_one_record_is_not_read(get, cast):
    """Filters belong to lists: a detail URL ignores them instead of 404ing."""
    contact = make_contact(member_of(cast.acme, cast.owner), family="A")
    assert get(f"/api/v1/contacts/{contact.pk}/", {"stage": "won"}).status_code == 200


def test_duplicates_answers_the_plain_array_its_schema_promises(get, cast):
    owner = member_of(cast.acme, cast.owner)
    first = make_contact(owner, family="Yamada", emails=["hanako@example.jp"])
    make_contact(owner, family="Yamada H", emails=["hanako@example.jp"])
    body = get(f"/api/v1/contacts/{first.pk}/duplicates/").json()
    assert isinstance(body, list)
    assert [row["family_name"] for row in body] == ["Yamada H"]
