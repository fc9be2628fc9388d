"""The webhooks pages: admins only, step-up for create and rotate, history."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm import webhooks
from terabox_crm.audit.models import AuditEvent
from terabox_crm.testing.auth import login
from terabox_crm.webhooks.models import Delivery, Endpoint

LIST = reverse("webhooks:list")
CREATE = reverse("webhooks:create")


def form(url, **extra):
    return {"url": url, "description": "Sync", "events": ["contact.created"], "active": "on",
            **extra}  # fmt: skip


def _endpoints():
    with scopes_disabled():
        return list(Endpoint.objects.all())


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_below_admin_is_forbidden(client, cast, role, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url).endpoint
    login(client, getattr(cast, role), step_up=True)
    for url in (LIST, CREATE, reverse("webhooks:detail", args=[endpoint.pk])):
        assert client.get(url, secure=True).status_code == 403


def test_admin_sees_the_list_in_both_languages(client, cast, receiver, make_endpoint):
    make_endpoint(receiver.url)
    login(client, cast.admin)
    en = client.get(LIST, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Webhooks" in en and "Contact created" in en and receiver.url in en
    ja = client.get(LIST, secure=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Webhook" in ja and "連絡先の作成" in ja and "エンドポイントを追加" in ja


def test_the_nav_links_webhooks_for_admins_only(client, cast):
    login(client, cast.admin)
    assert f'href="{LIST}"' in client.get(reverse("web:home"), secure=True).content.decode()
    login(client, cast.member)
    assert f'href="{LIST}"' not in client.get(reverse("web:home"), secure=True).content.decode()


def test_create_needs_step_up(client, cast, receiver):
    login(client, cast.admin, step_up=False)
    response = client.post(CREATE, form(receiver.url), secure=True)
    assert response.status_code == 302
    assert reverse("accounts:step_up") in response["Location"]
    assert _endpoints() == []


def test_create_shows_the_secret_once_and_is_audited(client, cast, receiver):
    login(client, cast.admin, step_up=True)
    response = client.post(CREATE, form(receiver.url), secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    secret = re.search(r'id="webhook-secret">(whsec_[\w-]+)<', response.content.decode()).group(1)
    (endpoint,) = _endpoints()
    assert endpoint.secret == secret and endpoint.events == ["contact.created"]
    detail = client.get(reverse("webhooks:detail", args=[endpoint.pk]), secure=True)
    assert secret not in detail.content.decode()
    assert AuditEvent.objects.filter(
        action="webhooks.endpoint.created", object_id=str(endpoint.pk)
    ).exists()


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
def test_a_private_url_is_refused_with_a_clear_message(client, cast, language, message):
    login(client, cast.admin, step_up=True)
    response = client.post(
        CREATE, form("https://169.254.169.254/latest"), secure=True, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _endpoints() == []


def test_no_events_is_refused(client, cast, receiver):
    login(client, cast.admin, step_up=True)
    response = client.post(
        CREATE, form(receiver.url, events=[]), secure=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()
    assert _endpoints() == []


def test_edit_events_and_pause(client, cast, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url).endpoint
    login(client, cast.admin)
    url = reverse("webhooks:detail", args=[endpoint.pk])
    response = client.post(
        url, {"url": receiver.url, "description": "x", "events": ["deal.stage_changed"]},
        secure=True,
    )  # fmt: skip
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["deal.stage_changed"] and endpoint.active is False
    event = AuditEvent.objects.get(action="webhooks.endpoint.updated")
    assert set(event.payload["fields"]) == {"description", "events", "active"}


def test_rotate_needs_step_up_and_replaces_the_secret(client, cast, receiver, make_endpoint):
    created = make_endpoint(receiver.url)
    url = reverse("webhooks:rotate", args=[created.endpoint.pk])
    login(client, cast.admin, step_up=False)
    assert client.post(url, secure=True).status_code == 302
    login(client, cast.admin, step_up=True)
    response = client.post(url, secure=True)
    assert response.status_code == 200
    created.endpoint.refresh_from_db()
    assert created.endpoint.secret != created.secret
    assert created.endpoint.secret in response.content.decode()
    assert AuditEvent.objects.filter(action="webhooks.endpoint.secret_rotated").exists()


def test_history_and_redeliver(client, cast, receiver, make_endpoint):
    receiver.status = 503
    endpoint = make_endpoint(receiver.url).endpoint
    webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-42")
    with scopes_disabled():
        first = Delivery.objects.get()
    from terabox_crm.webhooks import delivery

    delivery.deliver(first.pk)
    login(client, cast.admin)
    page = client.get(
        reverse("webhooks:detail", args=[endpoint.pk]), secure=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "c-42" in page and "HTTP 503" in page and "Pending" in page and "Next attempt" in page
    redeliver = reverse("webhooks:redeliver", args=[endpoint.pk, first.pk])
    assert redeliver not in page  # still being retried
    response = client.post(redeliver, secure=True, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This delivery is still being retried" in response.content.decode()
    with scopes_disabled():
        assert Delivery.objects.count() == 1
        Delivery.objects.filter(pk=first.pk).update(status=Delivery.Status.FAILED)
    receiver.status = 200
    response = client.post(redeliver, secure=True)
    assert response.status_code == 302
    with scopes_disabled():
        again = Delivery.objects.exclude(pk=first.pk).get()
    assert again.event_id == first.event_id
    delivery.deliver(again.pk)
    again.refresh_from_db()
    assert again.status == Delivery.Status.SUCCEEDED


def test_delete(client, cast, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url).endpoint
    login(client, cast.admin)
    response = client.post(reverse("webhooks:delete", args=[endpoint.pk]), secure=True)
    assert response.status_code == 302
    assert _endpoints() == []
    assert AuditEvent.objects.filter(action="webhooks.endpoint.deleted").exists()


def test_history_is_admin_only(client, cast, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url).endpoint
    webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-77")
    login(client, cast.manager)
    response = client.get(reverse("webhooks:detail", args=[endpoint.pk]), secure=True)
    assert response.status_code == 403
    assert "c-77" not in response.content.decode()


def test_send_a_test_event(
    client, cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from terabox_crm.webhooks import delivery

    created = make_endpoint(receiver.url)
    login(client, cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:ping", args=[created.endpoint.pk]), secure=True)
    assert response.status_code == 302
    got = receiver.requests[0]
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["terabox-event"] == "webhook.ping"
    assert delivery.verify(created.secret, headers["terabox-signature"], got.body)
    page = client.get(
        reverse("webhooks:detail", args=[created.endpoint.pk]),
        secure=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "テストイベント" in page and "成功" in page
    assert AuditEvent.objects.filter(action="webhooks.endpoint.tested").exists()
