"""JSON request bodies: one parser with a depth and a size cap (S1, S7).

Bad bodies are 400/413 problem details that change nothing; a body nested
past the cap is also a security event, once per client address per window.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled
from rest_framework.views import APIView

from terabox_crm.api.parsers import JSONParser
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.core import jsonbody

URL = "/api/v1/contacts/"


def post(client, body, *, secret, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, data, content_type=content_type, secure=True, **bearer(secret))


def nested(depth: int, leaf="x") -> str:
    return "[" * depth + json.dumps(leaf) + "]" * depth


def assert_problem(response, status: int, type_name: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://terabox-crm.dev/problems/{type_name}"
    assert problem["status"] == status
    return problem


def no_contacts() -> bool:
    with scopes_disabled():
        return not Contact.objects.exists()


def too_deep_events() -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action=jsonbody.TOO_DEEP_EVENT).count()


@pytest.fixture
def secret(cast, make_token):
    return make_token(cast.member, scopes="read,write")


def test_array_nested_50000_deep_is_a_400_problem(client, cast, secret):
    response = post(client, nested(50_000), secret=secret)
    assert_problem(response, 400, "too-deep")
    assert no_contacts()


def test_notes_nested_5000_deep_is_a_400_problem_that_creates_nothing(client, cast, secret):
    body = '{"family_name": "X", "notes": ' + nested(5_000) + "}"
    response = post(client, body, secret=secret)
    assert_problem(response, 400, "too-deep")
    assert no_contacts()


def test_a_body_that_parses_but_nests_900_deep_is_refused(client, cast, secret):
    body = '{"family_name": "X", "notes": ' + nested(900) + "}"
    response = post(client, body, secret=secret)
    assert_problem(response, 400, "too-deep")
    assert no_contacts()


def test_a_body_nested_as_deep_as_the_cap_reaches_the_serializer(client, cast, secret):
    body = '{"family_name": "X", "notes": ' + nested(jsonbody.MAX_DEPTH - 1) + "}"
    response = post(client, body, secret=secret)
    problem = assert_problem(response, 400, "validation")
    assert "notes" in problem["errors"]


def test_the_too_deep_detail_names_the_limit(client, cast, secret):
    response = post(client, nested(100), secret=secret, content_type="application/json")
    assert str(jsonbody.MAX_DEPTH) in response.json()["title"]


def test_syntax_errors_are_malformed_json_with_their_position(client, cast, secret):
    response = post(client, '{"family_name": "X",\n "notes": }', secret=secret)
    problem = assert_problem(response, 400, "malformed-json")
    assert "2" in problem["title"]  # line 2
    assert no_contacts()


@pytest.mark.parametrize(
    "body",
    [
        b'{"family_name": "\xff\xfe"}',  # not UTF-8
        b'{"family_name": "\\udc00"}',  # a lone surrogate
        b'{"family_name": "X", "notes": NaN}',
        b'{"family_name": "X", "notes": 1e400}',
        b'{"family_name": "X", "notes": ' + b"9" * 5000 + b"}",
    ],
    ids=["not-utf8", "lone-surrogate", "nan", "infinite-number", "huge-integer"],
)
def test_what_json_cannot_carry_faithfully_is_malformed(client, cast, secret, body):
    assert_problem(post(client, body, secret=secret), 400, "malformed-json")
    assert no_contacts()


@override_settings(MAX_JSON_BODY_BYTES=1000)
def test_a_json_body_over_the_cap_is_a_413_problem(client, cast, secret):
    response = post(client, {"family_name": "X", "notes": "x" * 2000}, secret=secret)
    problem = assert_problem(response, 413, "too-large")
    assert "1000" in problem["title"]
    assert no_contacts()


@override_settings(MAX_JSON_BODY_BYTES=1000)
def test_a_json_body_under_the_cap_is_read(client, cast, secret):
    response = post(client, {"family_name": "X", "notes": "x" * 500}, secret=secret)
    assert response.status_code == 201, response.content


def test_a_form_body_is_refused_with_415(client, cast, secret):
    response = client.post(URL, {"family_name": "X"}, secure=True, **bearer(secret))
    assert_problem(response, 415, "unsupported-media-type")
    assert no_contacts()


def test_a_too_deep_body_is_a_security_event(client, cast, secret):
    post(client, nested(5_000), secret=secret)
    with scopes_disabled():
        event = AuditEvent.objects.get(action=jsonbody.TOO_DEEP_EVENT)
    assert event.workspace_id == cast.acme.pk
    assert event.actor_id == cast.member.pk
    assert event.payload["max_depth"] == jsonbody.MAX_DEPTH


def test_repeated_too_deep_bodies_from_one_address_record_one_event(client, cast, secret):
    for _ in range(5):
        post(client, nested(5_000), secret=secret)
    assert too_deep_events() == 1


def test_too_deep_bodies_from_another_address_record_their_own_event(client, cast, secret):
    post(client, nested(5_000), secret=secret)
    client.post(
        URL,
        nested(5_000),
        content_type="application/json",
        secure=True,
        REMOTE_ADDR="192.0.2.7",
        **bearer(secret),
    )
    assert too_deep_events() == 2


def test_a_malformed_body_is_not_a_security_event(client, cast, secret):
    post(client, "{nope", secret=secret)
    assert too_deep_events() == 0


def test_an_anonymous_deep_body_is_refused_before_it_is_read(client, cast):
    response = client.post(URL, nested(5_000), content_type="application/json", secure=True)
    assert response.status_code == 401
    assert too_deep_events() == 0


# --- the reader itself ----------------------------------------------------------


def test_depth_counts_containers_not_scalars():
    jsonbody.check(json.loads(nested(jsonbody.MAX_DEPTH)))
    with pytest.raises(jsonbody.TooDeep):
        jsonbody.check(json.loads(nested(jsonbody.MAX_DEPTH + 1)))


def test_objects_count_toward_depth_like_arrays():
    value = current = {}
    for _ in range(jsonbody.MAX_DEPTH):
        current["a"] = current = {}
    with pytest.raises(jsonbody.TooDeep):
        jsonbody.check(value)


def test_the_check_survives_a_value_deeper_than_the_recursion_limit():
    value: list = []
    for _ in range(50_000):
        value = [value]
    with pytest.raises(jsonbody.TooDeep):
        jsonbody.check(value)


# --- one reader everywhere ---------------------------------------------------------


def _views(resolver: URLResolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def test_every_api_view_parses_json_through_the_capped_parser():
    api_views = [
        getattr(view, "cls", None) for view in _views(get_resolver()) if hasattr(view, "cls")
    ]
    api_views = [cls for cls in api_views if cls and issubclass(cls, APIView)]
    assert len(api_views) > 10
    for cls in api_views:
        # The one multipart endpoint: an import's file (imports/api/views.py);
        # its other bodies are JSON through the same parser.
        if cls.__module__ == "terabox_crm.imports.api.views":
            assert cls.parser_classes[1:] == [JSONParser], cls
            continue
        assert cls.parser_classes == [JSONParser], cls


def test_no_other_module_reads_json_itself():
    """Request bodies reach JSON only through core.jsonbody; the others parse
    only JSON the product wrote itself: the audit engine its stored payloads,
    an export's job and its helper processes the lines they send each other
    through their pipes, the incident timeline the values it stored."""
    allowed = {
        "core/jsonbody.py",
        "audit/chain.py",
        "audit/verify.py",
        "exports/building.py",
        "exports/helper.py",
        "incidents/timeline.py",
    }
    root = Path(inspect.getfile(jsonbody)).parent.parent
    # json.load(s), a loads imported from json, or a decoder; pickle.loads is not JSON.
    reading = re.compile(r"\bjson\.loads?\(|from json import[^\n]*\bloads?\b|JSONDecoder")
    found = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        if "/tests/" in f"/{relative}" or relative.startswith("testing/") or relative in allowed:
            continue
        if reading.search(path.read_text(encoding="utf-8")):
            found.append(relative)
    assert found == []
