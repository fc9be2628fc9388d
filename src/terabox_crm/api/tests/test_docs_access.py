"""Who may read ``/api/schema/`` and ``/api/docs/`` (S1, S8; api/docs.py):
anyone in development; in production a signed-in session or a valid bearer
token, unless the operator opens them with ``CRM_API_DOCS_PUBLIC``.

``API_DOCS_PUBLIC`` is what ``CRM_ENV`` and ``CRM_API_DOCS_PUBLIC`` decide;
tests/test_http_hygiene_process.py checks that decision on a real production
server.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from terabox_crm.api.tests.conftest import bearer
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

SCHEMA = "/api/schema/"
DOCS = "/api/docs/"
OPENAPI_JSON = "application/vnd.oai.openapi+json"


@pytest.fixture
def closed(settings):
    """Production's default."""
    settings.API_DOCS_PUBLIC = False


def _schema(client, **extra):
    return client.get(SCHEMA, secure=True, HTTP_ACCEPT=OPENAPI_JSON, **extra)


def test_schema_is_open_in_development(client):
    response = _schema(client)
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_is_open_in_development(client):
    assert client.get(DOCS, secure=True).status_code == 200


def test_closed_schema_answers_401_problem_details_to_an_anonymous_client(client, closed):
    response = _schema(client)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "https://terabox-crm.dev/problems/unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_closed_schema_answers_json_problem_details_when_yaml_was_asked_for(client, closed):
    response = client.get(SCHEMA, secure=True, HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_closed_schema_opens_to_a_signed_in_session(client, cast, closed):
    login(client, cast.member)
    assert _schema(client).status_code == 200


def test_closed_schema_opens_to_a_valid_bearer_token(client, cast, make_token, closed):
    secret = make_token(cast.viewer, scopes="read")
    assert _schema(client, **bearer(secret)).status_code == 200


def test_closed_schema_refuses_a_token_that_is_not_valid(client, closed):
    response = _schema(client, **bearer("tbx_not-a-token-we-issued"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_closed_docs_page_sends_a_visitor_to_sign_in_and_back(client, closed):
    response = client.get(DOCS, secure=True)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/api/docs/"


def test_closed_docs_script_also_needs_sign_in(client, closed):
    response = client.get(f"{DOCS}?script=", secure=True)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_closed_docs_page_opens_to_a_signed_in_session(client, cast, closed):
    login(client, cast.member)
    response = client.get(DOCS, secure=True)
    assert response.status_code == 200
    assert "swagger" in response.content.decode().lower()


def test_an_operator_may_open_the_docs_in_production(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert _schema(client).status_code == 200
    assert client.get(DOCS, secure=True).status_code == 200


@pytest.mark.parametrize("url", [SCHEMA, DOCS])
def test_schema_and_docs_answer_only_get_and_head(client, url):
    assert client.head(url, secure=True).status_code == 200
    response = client.options(url, secure=True)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
