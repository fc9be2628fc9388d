"""The OpenAPI schema reads like a product's API reference and says what the
API does (``api.schema``): it validates without warnings, every operation has
a summary, a resource tag and its problem responses, and ``info`` explains
authentication, pagination, errors and times."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import get_resolver
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from terabox_crm.api.schema import PROBLEM_RESPONSES, RESOURCES

METHODS = ("get", "post", "put", "patch", "delete")
PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(schema, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = schema["components"][kind][name]
    return node


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error drf-spectacular emits.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000


def test_every_operation_has_a_summary_and_its_resource_tag(schema):
    for path, method, operation in operations(schema):
        assert operation.get("summary"), (method, path)
        resource = path.split("/")[3]
        assert operation["tags"] == [resource], (method, path)
        assert resource in RESOURCES, resource


def test_every_resource_tag_is_described(schema):
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    used = {operation["tags"][0] for _, _, operation in operations(schema)}
    assert set(tags) == used
    assert all(tags.values())


def test_every_operation_documents_401_and_403_as_problems(schema):
    for path, method, operation in operations(schema):
        for status in ("401", "403"):
            assert status in operation["responses"], (method, path, status)


# Operations on a record named in the query or body, not the path (a
# contact's consents, a contact's legal hold): 404 when it is not there.
NAMED_OUTSIDE_THE_PATH = {"/api/v1/consents/", "/api/v1/legal-holds"}


def test_operations_on_one_record_document_404(schema):
    for path, method, operation in operations(schema):
        expected = "{" in path or path in NAMED_OUTSIDE_THE_PATH
        assert ("404" in operation["responses"]) == expected, (method, path)


def test_operations_that_read_a_body_document_400_413_and_415(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            for status in ("400", "413", "415"):
                assert status in operation["responses"], (method, path, status)


def test_operations_with_query_parameters_document_400(schema):
    for path, method, operation in operations(schema):
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in operation["responses"], (method, path)


def test_unthrottled_operations_do_not_promise_429(schema):
    for path, method, operation in operations(schema):
        assert "429" not in operation["responses"], (method, path)


def test_problem_responses_are_problem_json_with_one_schema(schema):
    for status, (name, _) in PROBLEM_RESPONSES.items():
        response = schema["components"]["responses"].get(name)
        if response is None:
            assert status == 429  # documented only where a view is throttled
            continue
        content = response["content"]
        assert list(content) == ["application/problem+json"]
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])


def test_every_body_is_json_only(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            if (path, method) == ("/api/v1/imports/", "post"):
                # The one upload: an import's file (imports/api/views.py).
                assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
                continue
            assert list(operation["requestBody"]["content"]) == ["application/json"], path


def test_info_explains_authentication_pagination_errors_and_times(schema):
    description = schema["info"]["description"]
    for topic in ("Authorization: Bearer", "page_size", "application/problem+json", "UTC"):
        assert topic in description


def test_info_names_a_contact_and_the_project_licence(schema):
    licence = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["license"]
    assert licence == "LicenseRef-Proprietary"
    assert licence in schema["info"]["license"]["name"]
    assert schema["info"]["contact"]["url"].startswith("https://")


def test_component_names_say_which_way_they_go(schema):
    for name in schema["components"]["schemas"]:
        assert re.fullmatch(r"(Patched)?\w+(In|Out|Enum|OutList|Params)|Problem", name), name


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/api/v1/contacts/", "sort", {"-created_at", "created_at", "-updated_at", "updated_at"}),
        ("/api/v1/companies/", "sort", {"-created_at", "created_at", "-updated_at", "updated_at"}),
        ("/api/v1/contacts/", "stage", {"lead", "prospect", "customer", "churned"}),
        ("/api/v1/contacts/", "source", {"direct", "web_form", "import", "third_party"}),
        ("/api/v1/tasks/", "status", {"open", "done"}),
        ("/api/v1/tickets/", "status", {"new", "open", "pending", "resolved", "closed"}),
    ],
)
def test_enumerated_query_parameters_are_enums(schema, path, name, values):
    parameters = schema["paths"][path]["get"]["parameters"]
    parameter = next(p for p in parameters if p["name"] == name)
    assert set(resolve(schema, parameter["schema"])["enum"]) == values


def test_the_audit_action_filter_lists_the_registered_event_types(schema):
    from terabox_crm.audit import actions

    parameters = schema["paths"]["/api/v1/security-events/"]["get"]["parameters"]
    action = next(p for p in parameters if p["name"] == "action")
    expected = {name for name in actions.all_types() if name.startswith("security.")}
    assert set(resolve(schema, action["schema"])["enum"]) == expected


def test_page_size_is_an_integer_from_1_to_200(schema):
    parameters = schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"]["minimum"] == 1 and page_size["schema"]["maximum"] == 200


def test_duplicates_is_documented_as_a_plain_array(schema):
    operation = schema["paths"]["/api/v1/contacts/{contact_id}/duplicates/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    assert body["items"] == {"$ref": "#/components/schemas/ContactOut"}
    assert not [p for p in operation.get("parameters", []) if p["in"] == "query"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/privacy-requests/{request_id}/replies/",
        "/api/v1/privacy-requests/{request_id}/exports/",
    ],
)
def test_a_privacy_requests_replies_and_exports_are_documented_as_plain_arrays(schema, path):
    """They answer a bare array (a request has a few), as the API fuzz found
    against a schema that promised a page."""
    operation = schema["paths"][path]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array", body
    assert not [p for p in operation.get("parameters", []) if p["in"] == "query"]


@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("/api/v1/consents/", "post", {"409"}),
        ("/api/v1/contacts/{contact_id}/erase/", "post", {"409"}),
        ("/api/v1/legal-holds", "post", {"409"}),
        ("/api/v1/legal-holds/{hold_id}/lift", "post", {"409"}),
        ("/api/v1/exports/{guarded_export_id}/approve/", "post", {"409"}),
        ("/api/v1/exports/{guarded_export_id}/download/", "get", {"409", "410"}),
        ("/api/v1/imports/{import_id}/run/", "post", {"409"}),
        (
            "/api/v1/privacy-requests/{request_id}/exports/{export_id}/download/",
            "get",
            {"410"},
        ),
        (
            "/api/v1/privacy-requests/{request_id}/exports/{export_id}/retry/",
            "post",
            {"409"},
        ),
    ],
)
def test_a_state_conflict_and_a_gone_link_are_documented_where_answered(
    schema, path, method, statuses
):
    """What only the action knows it answers (``api.schema.answers``): a
    second download is 410, an export not waiting for approval 409. The
    API fuzz fails on a status the schema does not declare; these are
    declared where they are answered, and nowhere else."""
    responses = schema["paths"][path][method]["responses"]
    assert statuses <= set(responses), sorted(responses)
    for status in statuses:
        assert resolve(schema, responses[status])["content"].keys() == {"application/problem+json"}
    documented = {
        (p, m) for p, m, op in operations(schema) if {"409", "410"} & set(op["responses"])
    }
    assert len(documented) == 9, sorted(documented)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "already_lifted", (409, "already-lifted")),
        (410, "link_used", (410, "link-used")),
        (400, "bad_transition", (400, "validation")),
        (403, "forbidden", (403, "forbidden")),
    ],
)
def test_a_refusal_of_state_keeps_its_status_and_names_its_type(status, code, expected):
    """A service's 409 or 410 reaches the client as that status with the
    refusal's code as the problem type, never as a 400 validation error
    (which would tell the client to fix its request)."""
    from terabox_crm.api.problems import exception_handler
    from terabox_crm.refusals import Refusal

    response = exception_handler(Refusal("Not now.", code=code, status=status), {})
    assert (response.status_code, response.data["type"].rsplit("/", 1)[1]) == expected


def test_request_bodies_say_what_the_api_checks(schema):
    """A text the API refuses blank is documented with ``minLength: 1``, an
    upload as binary, an action as its list (S8: the fuzz found bodies the
    schema admitted and the API refused); responses are described apart, so
    an answer with an empty text still matches its schema."""
    components = schema["components"]["schemas"]
    assert components["ConsentIn"]["properties"]["purpose"]["minLength"] == 1
    assert components["HoldIn"]["properties"]["reason"]["minLength"] == 1
    assert components["TicketIn"]["properties"]["subject"]["minLength"] == 1
    assert "minLength" not in components["TicketIn"]["properties"]["description"]
    assert components["ImportIn"]["properties"]["file"]["format"] == "binary"
    action = components["RuleIn"]["properties"]["action"]["allOf"][0]
    assert resolve(schema, action)["enum"] == ["delete", "anonymise", "shred"]
    outgoing = [
        (name, field)
        for name, component in components.items()
        if name.endswith("Out")
        for field, spec in component.get("properties", {}).items()
        if "minLength" in spec
    ]
    assert outgoing == []
    assert not [name for name in components if name.endswith("Request")]


def test_answers_refuses_a_status_with_no_problem_response():
    from terabox_crm.api.schema import answers

    with pytest.raises(ValueError, match="418"):
        answers(418)


def test_the_schema_is_english_whatever_the_request_language():
    with translation.override("ja"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    text = json.dumps(schema, ensure_ascii=False)
    assert "ticket" in text
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)


def test_views_read_query_parameters_only_through_their_declaration():
    """Every filter a list reads is in its list_params (documented and checked)."""
    get_resolver().url_patterns  # noqa: B018 - imports the view modules
    root = Path(__file__).resolve().parents[2]
    readers = [
        path.relative_to(root).as_posix()
        for path in root.glob("*/api/views.py")
        if "query_params" in path.read_text(encoding="utf-8")
    ]
    assert readers == []
