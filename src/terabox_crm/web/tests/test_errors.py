"""Error pages: translated, friendly, never a traceback, SQL or path (S1)."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from django.utils.functional import SimpleLazyObject

from terabox_crm.testing.auth import login
from terabox_crm.web import errors
from terabox_crm.web.tests.html import csp_violations
from terabox_crm.web.tests.urls import SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.urls("terabox_crm.web.tests.urls")]

TITLES = {
    400: {"ja": "不正なリクエスト", "en": "Bad request"},
    403: {"ja": "権限がありません", "en": "Not allowed"},
    404: {"ja": "ページが見つかりません", "en": "Page not found"},
    413: {"ja": "サイズが大きすぎます", "en": "Too large"},
    500: {"ja": "問題が発生しました", "en": "Something went wrong"},
}
LEAKS = (
    "Traceback",
    "RuntimeError",
    SECRET,
    "secret-detail",
    "SELECT",
    "/work/",
    "site-packages",
    ".py",
)


def _get(client, status: int, language: str):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if status == 400:
        return client.get("/test-errors/bad/", **headers)
    if status == 403:
        return client.get("/test-errors/denied/", **headers)
    if status == 404:
        return client.get("/no-such-page/", **headers)
    if status == 413:
        return client.post(
            "/i18n/language/", {"language": "en"}, CONTENT_LENGTH="999999999999", **headers
        )
    client.raise_request_exception = False
    return client.get("/test-errors/boom/", **headers)


def _assert_no_leak(content: str) -> None:
    for leak in LEAKS:
        assert leak not in content, leak


@pytest.mark.parametrize("status", sorted(TITLES))
@pytest.mark.parametrize("language", ["ja", "en"])
def test_error_page_is_translated_and_leaks_nothing(client, status, language):
    response = _get(client, status, language)
    assert response.status_code == status
    content = response.content.decode()
    assert TITLES[status][language] in content
    assert f'lang="{language}"' in content
    _assert_no_leak(content)
    assert csp_violations(content) == []


@pytest.mark.parametrize("status", [403, 404, 500])
def test_error_page_for_signed_in_user_keeps_the_navigation_except_500(client, cast, status):
    login(client, cast.owner)
    response = _get(client, status, "en")
    assert response.status_code == status
    content = response.content.decode()
    if status == 500:
        assert 'class="mainnav"' not in content  # self-contained: no context processors
    else:
        assert 'class="mainnav"' in content
    _assert_no_leak(content)


def test_500_page_renders_when_context_processors_fail(client, settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["OPTIONS"] = {
        "context_processors": [
            *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
            "terabox_crm.web.tests.urls.broken_context_processor",
        ]
    }
    client.raise_request_exception = False
    with override_settings(TEMPLATES=templates):
        response = client.get("/test-errors/boom/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 500
        assert "Something went wrong" in response.content.decode()
        _assert_no_leak(response.content.decode())
        # A 404 whose shell cannot render falls back to the self-contained page.
        response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 404
        assert "ページが見つかりません" in response.content.decode()
        _assert_no_leak(response.content.decode())


def test_500_page_renders_when_the_database_is_down(monkeypatch):
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self, *args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    request = RequestFactory().get("/anything/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = SimpleLazyObject(lambda: refuse(None))
    response = errors.server_error(request)
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "could not connect" not in content


@pytest.mark.parametrize("language", ["ja", "en"])
def test_api_errors_are_problem_details(client, language):
    client.raise_request_exception = False
    for path, status in (("/api/no-such-thing/", 404), ("/api/test-errors/boom/", 500)):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == status
        assert response["Content-Type"] == "application/problem+json"
        body = json.loads(response.content)
        assert body["status"] == status
        assert body["type"].startswith("https://terabox-crm.dev/problems/")
        assert body["title"]
        _assert_no_leak(response.content.decode())


def test_api_413_is_problem_details(client):
    response = client.post(
        "/api/no-such-thing/", {"x": "y"}, CONTENT_LENGTH="999999999999", HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["type"].endswith("/too-large")


@pytest.mark.parametrize(
    ("language", "text"), [("ja", "フォームの有効期限が切れました"), ("en", "Form expired")]
)
def test_csrf_failure_page_is_translated(language, text):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/language/", {"language": "en"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert text in response.content.decode()


def test_htmx_error_carries_its_message_as_a_toast(client):
    response = client.get("/no-such-page/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["toast"]["level"] == "error"
    assert "nothing here" in trigger["toast"]["message"]


def test_too_many_requests_says_when_to_retry(rf):
    request = rf.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    response = errors.too_many_requests(request, retry_after=90)
    assert response.status_code == 429
    assert response["Retry-After"] == "90"
    assert "Too many attempts" in response.content.decode()
