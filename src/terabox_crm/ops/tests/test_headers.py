"""S1 and S14 on the wire: every kind of response carries the security headers,
cookies are ``__Host-`` prefixed, Secure, HttpOnly and SameSite, and oversized
bodies get 413 (S7)."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LIMIT = settings.MAX_REQUEST_BODY_BYTES


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response, *, https: bool = True) -> None:
    if https:
        hsts = [part.strip() for part in response["Strict-Transport-Security"].split(";")]
        max_age = next(part for part in hsts if part.startswith("max-age="))
        assert int(max_age.removeprefix("max-age=")) >= 31_536_000
        assert "includeSubDomains" in hsts
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", [])
    assert "'unsafe-eval'" not in csp.get("script-src", [])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in {
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }
    assert "camera=()" in response["Permissions-Policy"]
    assert "Server" not in response


def assert_host_cookie(cookie) -> None:
    assert cookie.key.startswith("__Host-")
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] in {"Lax", "Strict"}
    assert cookie["path"] == "/"
    assert not cookie["domain"]  # __Host- cookies must not name a domain


def test_sign_in_page_carries_every_security_header(client):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_hsts_is_sent_on_https_only(client):
    response = client.get("/accounts/login/")
    assert "Strict-Transport-Security" not in response
    assert_security_headers(response, https=False)


def test_error_page_carries_every_security_header(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert_security_headers(response)


def test_append_slash_redirect_carries_every_security_header(client):
    response = client.get("/accounts/login", secure=True)
    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"
    assert_security_headers(response)


def test_health_endpoint_carries_every_security_header(client):
    response = client.get("/healthz", secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_static_file_carries_every_security_header(client):
    response = client.get("/static/web/app.css", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert_security_headers(response)


def test_api_response_carries_every_security_header(client):
    response = client.get("/api/v1/no-such-resource/", secure=True)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert_security_headers(response)


def test_csrf_cookie_is_host_prefixed_secure_httponly_samesite(client):
    response = client.get("/accounts/login/", secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie.key == "__Host-csrftoken"
    assert_host_cookie(cookie)


def test_session_cookie_is_host_prefixed_secure_httponly_samesite(client, cast):
    response = client.post(
        "/accounts/login/",
        {"email": cast.owner.email, "password": cast.password},
        secure=True,
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.key == "__Host-sessionid"
    assert_host_cookie(cookie)


def test_language_cookie_is_host_prefixed_secure_httponly_samesite(client):
    response = client.post("/i18n/language/", {"language": "en", "next": "/"}, secure=True)
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert_host_cookie(cookie)


def test_body_over_ten_megabytes_gets_413_page(client):
    response = client.post(
        "/accounts/login/", b"x" * (LIMIT + 1), content_type="text/plain", secure=True
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert_security_headers(response)


def test_body_over_ten_megabytes_gets_413_problem_on_api(client):
    response = client.post(
        "/api/v1/contacts/", b"x" * (LIMIT + 1), content_type="application/json", secure=True
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert_security_headers(response)


def test_body_at_the_limit_is_not_refused_for_size(client):
    response = client.post("/accounts/login/", b"x" * 1024, content_type="text/plain", secure=True)
    assert response.status_code != 413


def test_413_page_is_translated(client):
    big = b"x" * (LIMIT + 1)
    en = client.post("/accounts/login/", big, content_type="text/plain", HTTP_ACCEPT_LANGUAGE="en")
    ja = client.post("/accounts/login/", big, content_type="text/plain", HTTP_ACCEPT_LANGUAGE="ja")
    assert en.status_code == ja.status_code == 413
    assert "Too large" in en.content.decode()
    assert "Too large" not in ja.content.decode()
