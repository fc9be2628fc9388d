"""``/api/v1/webhook-endpoints/``: admins only, one workspace, secret shown once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm import webhooks
from terabox_crm.api import services as token_services
from terabox_crm.core.selectors import membership_in
from terabox_crm.testing.auth import login
from terabox_crm.webhooks.models import Endpoint

LIST = reverse("api:v1:webhook-endpoint-list")


def detail(endpoint) -> str:
    return reverse("api:v1:webhook-endpoint-detail", args=[endpoint.pk])


def bearer(user, workspace, scopes="read,write"):
    secret = token_services.token_create(
        membership=membership_in(workspace, user), name="t", scopes=scopes
    ).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_admin_token_lists_only_its_workspace(client, cast, receiver, make_endpoint):
    ours = make_endpoint(receiver.url).endpoint
    theirs = make_endpoint(receiver.url, workspace=cast.globex, actor=cast.outsider).endpoint
    auth = bearer(cast.admin, cast.acme, "read")
    response = client.get(LIST, secure=True, **auth)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(ours.pk)]
    assert "secret" not in response.json()["results"][0]
    assert client.get(detail(theirs), secure=True, **auth).status_code == 404
    deliveries = reverse("api:v1:webhook-endpoint-deliveries", args=[theirs.pk])
    assert client.get(deliveries, secure=True, **auth).status_code == 404


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_below_admin_is_forbidden(client, cast, role):
    response = client.get(LIST, secure=True, **bearer(getattr(cast, role), cast.acme))
    assert response.status_code == 403


def test_create_with_a_token_returns_the_secret_once(client, cast, receiver):
    response = client.post(
        LIST,
        {"url": receiver.url, "events": ["contact.created", "deal.stage_changed"]},
        content_type="application/json",
        secure=True,
        **bearer(cast.admin, cast.acme),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    with scopes_disabled():
        endpoint = Endpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret
    assert endpoint.events == ["contact.created", "deal.stage_changed"]


def test_create_over_a_session_needs_step_up(client, cast, receiver):
    login(client, cast.admin, step_up=False)
    payload = {"url": receiver.url, "events": ["contact.created"]}
    response = client.post(LIST, payload, content_type="application/json", secure=True)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/step-up-required")
    login(client, cast.admin, step_up=True)
    response = client.post(LIST, payload, content_type="application/json", secure=True)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This URL points to a private, local or reserved network address."),
        (
            "ja",
            "この URL はプライベート、ローカルまたは予約済みのネットワークアドレスを指しています。",
        ),
    ],
)
def test_a_private_url_is_a_validation_problem(client, cast, language, message):
    response = client.post(
        LIST,
        {"url": "https://127.0.0.1/", "events": ["contact.created"]},
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
        **bearer(cast.admin, cast.acme),
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert message in response.json()["errors"]["url"][0]
    with scopes_disabled():
        assert not Endpoint.objects.exists()


def test_read_scope_cannot_create(client, cast, receiver):
    response = client.post(
        LIST,
        {"url": receiver.url, "events": ["contact.created"]},
        content_type="application/json",
        secure=True,
        **bearer(cast.admin, cast.acme, "read"),
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/insufficient-scope")


def test_patch_delete_and_deliveries(client, cast, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url).endpoint
    webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-5")
    auth = bearer(cast.admin, cast.acme)
    response = client.patch(
        detail(endpoint), {"active": False}, content_type="application/json", secure=True, **auth
    )
    assert response.status_code == 200 and response.json()["active"] is False
    listed = client.get(
        reverse("api:v1:webhook-endpoint-deliveries", args=[endpoint.pk]), secure=True, **auth
    ).json()["results"]
    assert [item["object_id"] for item in listed] == ["c-5"]
    assert client.delete(detail(endpoint), secure=True, **auth).status_code == 204
    with scopes_disabled():
        assert not Endpoint.objects.exists()
