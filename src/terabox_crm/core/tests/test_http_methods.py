"""HTTP methods (S1, S9): every URL pattern of the project serves the methods
its view declares and answers every other one — TRACE and made-up methods
included — with 405 and a correct ``Allow``, before authentication: the walk
below is anonymous. TRACE and other non-standard methods are also a security
event, recorded at most once per address every ten minutes.

The same refusals from outside, through uvicorn: tests/test_http_hygiene_process.py.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import translation
from django_scopes import scopes_disabled

from terabox_crm.audit import actions as audit_actions
from terabox_crm.audit.chain import open_detail
from terabox_crm.audit.models import AuditDetail, AuditEvent
from terabox_crm.core import methods
from terabox_crm.testing.auth import login
from terabox_crm.testing.cross_workspace import routes

pytestmark = pytest.mark.django_db

NON_STANDARD = ("TRACE", "TRACK", "CONNECT", "PROPFIND", "BREW")
EVERY_METHOD = (*methods.STANDARD, *NON_STANDARD)
PROBLEM = "application/problem+json"

# Values tried, in order, for a URL parameter until the pattern accepts one.
_SAMPLES = ("00000000-0000-4000-8000-000000000000", "0" * 64, "1", "x")


@dataclass(frozen=True)
class Target:
    label: str
    url: str
    served: frozenset[str] | None


def _fill(route) -> str | None:
    """A URL for ``route`` with placeholder values (refusals come before any lookup)."""
    if not route.params:
        return reverse(route.name) if route.name else "/" + route.route
    for values in itertools.product(_SAMPLES, repeat=len(route.params)):
        try:
            return reverse(route.name, kwargs=dict(zip(route.params, values, strict=True)))
        except NoReverseMatch:
            continue
    return None


def targets() -> list[Target]:
    found = []
    for route in routes():
        url = _fill(route)
        assert url is not None, f"{route.label}: no placeholder fits its parameters"
        match = resolve(url)
        found.append(Target(route.label, url, methods.served_methods(match.func)))
    return found


def _allow(response) -> set[str]:
    return {method.strip() for method in response.get("Allow", "").split(",") if method.strip()}


def _method_refused_events() -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=methods.METHOD_REFUSED).order_by("id"))


# --- Every URL ------------------------------------------------------------------------------


def test_every_view_declares_the_methods_it_serves():
    undeclared = [target.label for target in targets() if target.served is None]
    assert undeclared == [], (
        "declare the methods of these views (require_safe, require_POST, "
        "require_http_methods, or a class-based view's handlers): " + ", ".join(undeclared)
    )


def test_every_view_that_serves_get_serves_head():
    missing = [
        t.label for t in targets() if t.served and "GET" in t.served and "HEAD" not in t.served
    ]
    assert missing == []


def test_every_url_refuses_each_method_it_does_not_serve_with_405_and_allow(db):
    client = Client()
    problems = []
    for target in targets():
        for method in EVERY_METHOD:
            if method in (target.served or ()):
                continue
            response = client.generic(method, target.url, secure=True)
            where = f"{method} {target.url} ({target.label})"
            if response.status_code != 405:
                problems.append(f"{where}: {response.status_code}, expected 405")
            elif _allow(response) != set(target.served or ()):
                problems.append(f"{where}: Allow {_allow(response)} != {set(target.served)}")
    assert problems == []


def test_every_url_serves_the_methods_its_view_declares(db):
    client = Client()
    refused = []
    for target in targets():
        for method in sorted(target.served or ()):
            response = client.generic(method, target.url, secure=True)
            if response.status_code == 405:
                refused.append(f"{method} {target.url} ({target.label})")
    assert refused == []


# --- The refusal itself ----------------------------------------------------------------------


def test_trace_on_the_sign_in_page_is_refused_with_405_before_sign_in(client):
    response = client.generic("TRACE", reverse("accounts:login"), secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"


def test_trace_on_the_home_page_is_a_405_not_a_redirect(client):
    response = client.generic("TRACE", "/", secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_trace_on_the_audit_trail_is_refused_when_signed_in(client, cast):
    login(client, cast.owner)
    response = client.generic("TRACE", reverse("audit:trail"), secure=True)
    assert response.status_code == 405
    assert "<h1" in response.content.decode()  # the error page, never the trail


def test_a_page_that_only_reads_refuses_put_instead_of_rendering(client, cast):
    login(client, cast.member)
    response = client.put(reverse("contacts:list"), secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_form_page_refuses_delete_before_sign_in(client):
    response = client.delete(reverse("accounts:profile"), secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"


def test_a_made_up_method_on_a_path_that_does_not_exist_is_405(client):
    response = client.generic("BREW", "/no/such/page/", secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_known_method_on_a_path_that_does_not_exist_is_still_404(client):
    assert client.put("/no/such/page/", secure=True).status_code == 404


def test_a_static_file_refuses_put_with_405_and_allow(client):
    response = client.put("/static/web/app.css", secure=True)
    assert response.status_code == 405
    assert _allow(response) == {"GET", "HEAD"}
    assert "<h1" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Not possible here"), ("ja", "この操作はできません")]
)
def test_the_405_page_is_in_the_visitors_language(client, language, title):
    response = client.generic(
        "TRACE", reverse("accounts:login"), secure=True, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response["Content-Type"].startswith("text/html")
    assert title in response.content.decode()


def test_the_405_page_carries_the_security_headers(client):
    response = client.generic("TRACE", reverse("accounts:login"), secure=True)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


def test_the_405_page_sets_no_cookie(client):
    response = client.generic("TRACE", reverse("accounts:login"), secure=True)
    assert not response.cookies


def test_the_api_answers_405_as_problem_details_before_authentication(client):
    response = client.put("/api/v1/audit-events/", secure=True)
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "https://terabox-crm.dev/problems/method-not-allowed"
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_the_api_refuses_trace_with_problem_details(client):
    response = client.generic("TRACE", "/api/v1/contacts/", secure=True)
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_the_api_refuses_unsupported_methods_for_a_token_holder_too(client, cast):
    from terabox_crm.api.services import token_create

    with scopes_disabled():
        created = token_create(
            membership=cast.owner_membership, name="methods", scopes=["read", "write"]
        )
    response = client.put(
        "/api/v1/pipelines/", secure=True, HTTP_AUTHORIZATION=f"Bearer {created.secret}"
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_a_views_own_refusal_becomes_the_same_page():
    from django.http import HttpResponseNotAllowed
    from django.test import RequestFactory

    request = RequestFactory().get("/", secure=True)
    middleware = methods.HttpMethodMiddleware(lambda r: HttpResponseNotAllowed(["POST"]))
    response = middleware(request)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "<h1" in response.content.decode()


# --- The security event --------------------------------------------------------------------


def test_trace_is_recorded_as_a_security_event(client):
    client.generic("TRACE", reverse("accounts:login"), secure=True, REMOTE_ADDR="198.51.100.7")
    [event] = _method_refused_events()
    assert event.payload == {"method": "TRACE"}
    assert event.actor_id is None


def test_the_address_is_kept_only_in_the_encrypted_detail(client):
    client.generic("TRACE", "/", secure=True, REMOTE_ADDR="198.51.100.7")
    [event] = _method_refused_events()
    assert "198.51.100.7" not in str(event.payload)
    with scopes_disabled():
        detail = AuditDetail.objects.get(event=event)
    assert "198.51.100.7" not in detail.ciphertext
    assert open_detail(detail)["ip"] == "198.51.100.7"


def test_a_made_up_method_is_recorded_as_other(client):
    client.generic("X-SECRET-HANAKO", "/", secure=True)
    [event] = _method_refused_events()
    assert event.payload == {"method": "other"}


def test_a_flood_from_one_address_records_one_event(client):
    for _ in range(25):
        client.generic("TRACE", "/", secure=True, REMOTE_ADDR="198.51.100.7")
    assert len(_method_refused_events()) == 1


def test_each_address_gets_its_own_event(client):
    for address in ("198.51.100.7", "198.51.100.8"):
        client.generic("TRACE", "/", secure=True, REMOTE_ADDR=address)
    assert len(_method_refused_events()) == 2


def test_the_same_address_is_recorded_again_once_the_interval_is_over(client, monkeypatch):
    monkeypatch.setattr(methods, "REFUSED_RECORD_EVERY", 1)
    client.generic("TRACE", "/", secure=True, REMOTE_ADDR="198.51.100.7")
    time.sleep(1.1)
    client.generic("TRACE", "/", secure=True, REMOTE_ADDR="198.51.100.7")
    assert len(_method_refused_events()) == 2


def test_a_standard_method_refused_is_not_a_security_event(client):
    client.put(reverse("contacts:list"), secure=True)
    assert _method_refused_events() == []


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "Request with a method outside HTTP's standard ones refused"),
        ("ja", "HTTP の標準外のメソッドによるリクエストを拒否"),
    ],
)
def test_the_event_has_a_label_in_both_languages(language, label):
    with translation.override(language):
        assert audit_actions.label(methods.METHOD_REFUSED) == label


def test_the_event_is_a_security_event():
    assert audit_actions.get(methods.METHOD_REFUSED).is_security
