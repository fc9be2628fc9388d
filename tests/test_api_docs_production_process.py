"""``/api/schema/`` and ``/api/docs/`` on a real production server (S1, S8):
closed to anonymous clients, open to a bearer token, and opened for everyone
only when the operator sets ``CRM_API_DOCS_PUBLIC=true``."""

from __future__ import annotations

import base64
import secrets
import subprocess

import pytest

from serving import COMMAND, Served, clean_env

pytestmark = pytest.mark.slow

EMAIL = "owner@production.example"
PASSWORD = "a long production passphrase 2026"
OPENAPI_JSON = {"Accept": "application/vnd.oai.openapi+json"}


def production_env(directory, **extra: str) -> dict[str, str]:
    return clean_env(
        directory,
        CRM_ENV="production",
        CRM_SECRET_KEY=secrets.token_urlsafe(50),
        CRM_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CRM_AUDIT_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CRM_ALLOWED_HOSTS="127.0.0.1",
        **extra,
    )


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """A production server, and a read token of its workspace's owner."""
    directory = tmp_path_factory.mktemp("production")
    env = production_env(directory, CRM_PASSWORD=PASSWORD)
    created = run(env, "createowner", "--email", EMAIL, "--workspace", "Production KK")
    assert created.returncode == 0, created.stdout + created.stderr
    printed = run(
        env, "token", "--email", EMAIL, "--workspace", "Production KK", "--scopes", "read"
    )
    assert printed.returncode == 0, printed.stderr
    served = Served(directory, [], env).wait_ready()
    served.token = printed.stdout.strip()
    yield served
    served.kill()


def test_production_schema_answers_401_problem_details_without_credentials(production):
    with production.client() as client:
        response = client.get("/api/schema/", headers=OPENAPI_JSON)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://terabox-crm.dev/problems/unauthenticated"


def test_production_docs_page_sends_a_visitor_to_sign_in(production):
    with production.client() as client:
        response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response.headers["location"] == "/accounts/login/?next=/api/docs/"


def test_production_schema_opens_to_a_bearer_token(production):
    with production.client() as client:
        response = client.get(
            "/api/schema/",
            headers={**OPENAPI_JSON, "Authorization": f"Bearer {production.token}"},
        )
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_production_schema_refuses_a_made_up_token(production):
    with production.client() as client:
        response = client.get(
            "/api/schema/", headers={**OPENAPI_JSON, "Authorization": "Bearer tbx_made_up"}
        )
    assert response.status_code == 401


def test_an_operator_may_open_the_docs_in_production(serve, tmp_path):
    served = serve(data_dir=tmp_path, **production_env(tmp_path, CRM_API_DOCS_PUBLIC="true"))
    with served.client() as client:
        schema = client.get("/api/schema/", headers=OPENAPI_JSON)
        docs = client.get("/api/docs/")
    assert schema.status_code == 200
    assert docs.status_code == 200
