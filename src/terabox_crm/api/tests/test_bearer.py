"""Personal access tokens on the REST API: ``Authorization: Bearer tbx_…``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.api.models import ApiToken
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Membership
from terabox_crm.testing.auth import login

EVENTS = reverse("api:v1:audit-event-list")
# A list that takes POST: a read-only list answers 405 before any scope or CSRF check.
TAGS = reverse("api:v1:tag-list")


def api_get(client, url, **extra):
    return client.get(url, secure=True, HTTP_ACCEPT="application/json", **extra)


def _token(secret: str) -> ApiToken:
    with scopes_disabled():
        return ApiToken.objects.get(token_hash=ApiToken.hash_secret(secret))


def test_admin_token_reads_the_audit_trail(client, cast, make_token):
    secret = make_token(cast.admin, scopes="read")
    response = api_get(client, EVENTS, **bearer(secret))
    assert response.status_code == 200
    actions = [item["action"] for item in response.json()["results"]]
    assert "api.token.created" in actions
    assert _token(secret).last_used_at is not None


def test_only_the_hash_and_prefix_are_stored(cast, make_token):
    secret = make_token(cast.admin)
    token = _token(secret)
    assert secret.startswith("tbx_") and len(secret) > 40
    assert token.prefix == secret[:12]
    with scopes_disabled():
        row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in str(row)


@pytest.mark.parametrize(
    "header",
    ["Bearer tbx_notarealtoken", "Bearer nonsense", "Bearer " + "tbx_" + "a" * 200],
)
def test_a_wrong_token_is_401_with_www_authenticate(client, cast, header):
    response = api_get(client, EVENTS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthenticated")


def test_an_expired_token_is_401(client, cast, make_token):
    secret = make_token(cast.admin)
    with scopes_disabled():
        ApiToken.objects.filter(pk=_token(secret).pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    response = api_get(client, EVENTS, **bearer(secret), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["title"] == "The API token has expired."


def test_a_revoked_token_is_401_and_a_security_event(client, cast, make_token):
    from terabox_crm.api import services

    secret = make_token(cast.admin)
    services.token_revoke(membership=cast.admin_membership, token=_token(secret))
    response = api_get(client, EVENTS, **bearer(secret), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["title"] == "この API トークンは無効化されています。"
    actions = list(
        AuditEvent.objects.filter(workspace_id=cast.acme.pk).values_list("action", flat=True)
    )
    assert "api.token.revoked" in actions
    assert "security.api.token.revoked_used" in actions
    # A script retrying in a loop is recorded once an hour, not once a request.
    for _ in range(3):
        assert api_get(client, EVENTS, **bearer(secret)).status_code == 401
    assert AuditEvent.objects.filter(action="security.api.token.revoked_used").count() == 1


def test_a_former_member_token_is_401(client, cast, make_token):
    secret = make_token(cast.admin)
    with scopes_disabled():
        Membership.objects.filter(pk=cast.admin_membership.pk).delete()
    assert api_get(client, EVENTS, **bearer(secret)).status_code == 401


def test_rejoining_does_not_revive_old_tokens(client, cast, make_token):
    from terabox_crm.testing import factories

    secret = make_token(cast.member)
    with scopes_disabled():
        Membership.objects.filter(pk=cast.member_membership.pk).delete()
    factories.add_member(cast.acme, cast.member, "member")
    assert api_get(client, EVENTS, **bearer(secret)).status_code == 401
    fresh = make_token(cast.member)
    assert api_get(client, EVENTS, **bearer(fresh)).status_code == 403  # known, but a member


def test_read_only_token_cannot_post(client, cast, make_token):
    secret = make_token(cast.admin, scopes="read")
    response = client.post(TAGS, {}, secure=True, **bearer(secret))
    assert response.status_code == 403
    body = response.json()
    assert body["type"].endswith("/insufficient-scope")
    assert body["status"] == 403


def test_write_only_token_cannot_read(client, cast, make_token):
    secret = make_token(cast.admin, scopes="write")
    response = api_get(client, EVENTS, **bearer(secret))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/insufficient-scope")


def test_scopes_never_exceed_the_role(client, cast, make_token):
    secret = make_token(cast.viewer, scopes="read,write,export")
    response = api_get(client, EVENTS, **bearer(secret))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")


def test_export_actions_need_the_export_scope(rf, cast, make_token):
    from terabox_crm.api.permissions import scope_for

    class View:
        permission_action = {"GET": "contacts.export"}

    class Plain:
        permission_action = "contacts.view"

    get, post = rf.get("/api/v1/x/"), rf.post("/api/v1/x/")
    assert scope_for(get, View(), "contacts.export") == "export"
    assert scope_for(get, Plain(), "contacts.view") == "read"
    assert scope_for(post, Plain(), "contacts.create") == "write"


def test_a_token_of_workspace_a_never_sees_b(client, cast, make_token):
    with scopes_disabled():
        audit.record("api.token.created", actor=cast.outsider, workspace=cast.globex)
    foreign = AuditEvent.objects.filter(workspace_id=cast.globex.pk).first()
    secret = make_token(cast.owner)
    listed = api_get(client, EVENTS, **bearer(secret)).json()["results"]
    assert listed and all(item["hash"] != foreign.hash for item in listed)
    detail = reverse("api:v1:audit-event-detail", args=[foreign.hash])
    assert api_get(client, detail, **bearer(secret)).status_code == 404


def test_the_token_wins_over_a_session_of_another_workspace(client, cast, make_token):
    """An outsider signed in to Globex who sends an Acme token acts in Acme, as the
    token's owner: the token is the whole identity of an API request."""
    login(client, cast.outsider)
    secret = make_token(cast.admin)
    response = api_get(client, EVENTS, **bearer(secret))
    assert response.status_code == 200
    acme_hashes = set(
        AuditEvent.objects.filter(workspace_id=cast.acme.pk).values_list("hash", flat=True)
    )
    listed = {item["hash"] for item in response.json()["results"]}
    assert listed and listed <= acme_hashes


def test_session_requests_still_work_and_keep_csrf(cast):
    client = Client(enforce_csrf_checks=True)
    login(client, cast.admin)
    assert api_get(client, EVENTS).status_code == 200
    response = client.post(TAGS, {}, secure=True)
    assert response.status_code == 403
    assert "CSRF" in response.json()["title"]


def test_bearer_requests_need_no_csrf_token(cast, make_token):
    client = Client(enforce_csrf_checks=True)
    secret = make_token(cast.admin, scopes="read,write")
    response = client.post(TAGS, {}, content_type="application/json", secure=True, **bearer(secret))
    assert response.status_code == 400  # past authentication and CSRF: the tag has no name


def test_the_schema_documents_bearer_tokens(client, cast):
    login(client, cast.admin)
    response = client.get(
        "/api/schema/", secure=True, HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["personalAccessToken"] == {**schemes["personalAccessToken"], "scheme": "bearer"}
