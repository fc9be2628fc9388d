"""Deliveries: signed, ids only, retried with backoff, one workspace each."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm import webhooks
from terabox_crm.core import bus
from terabox_crm.core.selectors import membership_in
from terabox_crm.webhooks import delivery, forms, services
from terabox_crm.webhooks.api.serializers import event_names
from terabox_crm.webhooks.models import Delivery


def _emit(django_capture_on_commit_callbacks, workspace, event="contact.created", obj="c-1"):
    with django_capture_on_commit_callbacks(execute=True):
        return webhooks.emit(event, workspace_id=workspace.pk, object_id=obj)


def _only_delivery() -> Delivery:
    with scopes_disabled():
        return Delivery.objects.get()


def test_a_real_receiver_gets_a_verifiable_signed_delivery(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    created = make_endpoint(receiver.url)
    assert _emit(django_capture_on_commit_callbacks, cast.acme) == 1
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks/crm?k=1"
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["terabox-event"] == "contact.created"
    sent = _only_delivery()
    assert headers["terabox-delivery"] == str(sent.pk)
    assert delivery.verify(created.secret, headers["terabox-signature"], got.body)
    assert not delivery.verify("whsec_wrong", headers["terabox-signature"], got.body)
    assert not delivery.verify(created.secret, headers["terabox-signature"], got.body + b" ")
    body = json.loads(got.body)
    assert body == {
        "id": str(sent.event_id),
        "event": "contact.created",
        "occurred_at": body["occurred_at"],
        "workspace_id": str(cast.acme.pk),
        "data": {"id": "c-1"},
    }
    assert sent.status == Delivery.Status.SUCCEEDED
    assert sent.attempts == 1 and sent.last_status_code == 204 and sent.finished_at


def test_a_real_https_receiver_with_sni(
    cast, tls_receiver, make_endpoint, django_capture_on_commit_callbacks
):
    created = make_endpoint(tls_receiver.url)
    _emit(django_capture_on_commit_callbacks, cast.acme)
    assert len(tls_receiver.requests) == 1
    got = tls_receiver.requests[0]
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["host"].startswith("localhost:")
    assert delivery.verify(created.secret, headers["terabox-signature"], got.body)
    assert _only_delivery().status == Delivery.Status.SUCCEEDED


def test_a_stale_signature_is_refused_by_verify(cast):
    body = b"{}"
    header = delivery.sign("s", 1_000, body)
    assert delivery.verify("s", header, body, now=1_100)
    assert not delivery.verify("s", header, body, now=1_000 + 301)
    assert not delivery.verify("s", "garbage", body)


def test_failures_back_off_and_give_up_after_8_attempts(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    receiver.status = 500
    make_endpoint(receiver.url)
    _emit(django_capture_on_commit_callbacks, cast.acme)
    sent = _only_delivery()
    delays = []
    for attempt in range(1, 9):
        sent.refresh_from_db()
        assert sent.attempts == attempt
        assert sent.last_status_code == 500 and sent.last_error == "HTTP 500"
        if attempt < 8:
            assert sent.status == Delivery.Status.PENDING
            delays.append(round((sent.next_attempt_at - timezone.now()).total_seconds() / 60))
            # Not due yet: the periodic job leaves it alone.
            assert delivery.due_ids() == []
            with scopes_disabled():
                Delivery.objects.filter(pk=sent.pk).update(
                    next_attempt_at=timezone.now() - timedelta(seconds=1)
                )
            assert delivery.due_ids() == [str(sent.pk)]
            from terabox_crm.webhooks import tasks

            tasks.deliver_due_webhooks.call_local()
    assert delays == [1, 2, 4, 8, 16, 32, 64]
    assert sent.status == Delivery.Status.FAILED and sent.finished_at
    assert len(receiver.requests) == 8
    assert delivery.due_ids() == []


def test_a_claimed_attempt_is_not_sent_twice(cast, receiver, make_endpoint):
    make_endpoint(receiver.url)
    webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-1")
    sent = _only_delivery()
    assert delivery.deliver(sent.pk) is True
    assert delivery.deliver(sent.pk) is False
    assert len(receiver.requests) == 1


def test_dns_rebinding_is_caught_at_delivery_time(cast, monkeypatch, make_endpoint):
    real = socket.getaddrinfo
    answer = {"ip": "93.184.215.14"}

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["ip"], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    make_endpoint("https://hooks.example.com/in")
    answer["ip"] = "127.0.0.1"  # the name now points at the CRM's own host
    connected = []
    monkeypatch.setattr(delivery, "_connect", lambda *a: connected.append(a))
    webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-1")
    assert delivery.deliver(_only_delivery().pk) is False
    sent = _only_delivery()
    assert sent.last_error == "refused: private_address"
    assert sent.status == Delivery.Status.PENDING and connected == []


def test_only_subscribed_active_endpoints_of_the_workspace_get_the_event(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    ours = make_endpoint(receiver.url, events=["contact.created", "company.created"])
    make_endpoint(receiver.url, events=["deal.stage_changed"])
    theirs = make_endpoint(receiver.url, workspace=cast.globex, actor=cast.outsider)
    assert _emit(django_capture_on_commit_callbacks, cast.acme) == 1
    with scopes_disabled():
        assert list(Delivery.objects.values_list("endpoint_id", flat=True)) == [ours.endpoint.pk]
        assert not Delivery.objects.filter(endpoint=theirs.endpoint).exists()
    body = json.loads(receiver.requests[0].body)
    assert body["workspace_id"] == str(cast.acme.pk)


def test_which_events_have_endpoints_is_cached_and_forgotten_on_every_endpoint_change(
    cast, receiver, make_endpoint, django_assert_num_queries
):
    """An event no endpoint takes costs no query (docs/performance.md, "Write
    path"), yet adding, changing or deleting an endpoint is seen at once."""
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-0") == 0
    with django_assert_num_queries(0):
        assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-1") == 0
    made = make_endpoint(receiver.url, events=["contact.created"])
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-2") == 1
    with django_assert_num_queries(0):
        assert webhooks.emit("deal.created", workspace_id=cast.acme.pk, object_id="d-1") == 0
    with scopes_disabled():
        services.endpoint_update(
            membership=membership_in(cast.acme, cast.admin),
            endpoint=made.endpoint,
            url=receiver.url,
            description="",
            event_names=["contact.created"],
            active=False,
        )
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-3") == 0
    made.endpoint.refresh_from_db()
    made.endpoint.active = True
    made.endpoint.save()
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-4") == 1
    with scopes_disabled():
        made.endpoint.delete()
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-5") == 0
    # Another workspace's endpoints never answer for this one.
    make_endpoint(receiver.url, workspace=cast.globex, actor=cast.outsider)
    assert webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-6") == 0


def test_an_endpoint_change_replaces_the_shared_version(cast, receiver, make_endpoint):
    """Every process reads the cache that this one writes: an endpoint change
    replaces the version they all look under, so none keeps an old answer."""
    from django.core.cache import cache

    from terabox_crm.webhooks import fanout

    assert fanout.subscribed_events(cast.acme.pk) == frozenset()
    version = cache.get(fanout._version_key(cast.acme.pk))
    make_endpoint(receiver.url, events=["contact.created", "task.completed"])
    assert cache.get(fanout._version_key(cast.acme.pk)) != version
    assert fanout.subscribed_events(cast.acme.pk) == {"contact.created", "task.completed"}
    # However the id is spelled, it is the same workspace's answer.
    assert fanout._version_key(cast.acme.pk.hex) == fanout._version_key(str(cast.acme.pk))


def test_a_rolled_back_change_sends_nothing(cast, receiver, make_endpoint):
    from django.db import transaction

    make_endpoint(receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id="c-1")
        raise RuntimeError
    with scopes_disabled():
        assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_unknown_events_are_refused_and_any_declared_event_can_be_chosen(cast):
    """Webhooks keep no list of events: what an app declares on the bus is offered."""
    with pytest.raises(ValueError):
        webhooks.emit("contact.exploded", workspace_id="x", object_id="y")
    names = {name for name, _label in forms.event_choices()}
    assert {
        "contact.created", "contact.updated", "contact.deleted", "contact.merged",
        "company.created", "company.updated", "company.deleted", "deal.stage_changed",
    } <= names  # fmt: skip
    assert "test.pinged" not in names
    bus.declare([bus.Event("test.pinged", "Pinged", "core.workspace")])
    try:
        assert ("test.pinged", "Pinged (test.pinged)") in forms.event_choices()
        assert "test.pinged" in event_names()
        assert services._clean_events(["test.pinged"]) == ["test.pinged"]
        with pytest.raises(ValueError):
            bus.declare([bus.Event("test.pinged", "Pinged", "core.workspace")])
    finally:
        bus._declared.pop("test.pinged")


def test_contacts_events_reach_the_endpoints(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    """The webhooks app listens to the bus the contacts app publishes on (apps.py)."""
    make_endpoint(receiver.url, events=["company.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        bus.publish("company.updated", workspace_id=cast.acme.pk, object_id="co-9")
    assert _only_delivery().object_id == "co-9"
    assert json.loads(receiver.requests[0].body)["data"] == {"id": "co-9"}


def test_finished_deliveries_are_forgotten_after_30_days_by_the_retention_run(
    cast, receiver, make_endpoint
):
    from terabox_crm.retention import engine

    make_endpoint(receiver.url)
    for obj in ("old", "recent", "pending"):
        webhooks.emit("contact.created", workspace_id=cast.acme.pk, object_id=obj)
    with scopes_disabled():
        for obj in ("old", "recent"):
            Delivery.objects.filter(object_id=obj).update(
                status=Delivery.Status.SUCCEEDED,
                finished_at=timezone.now() - timedelta(days=31 if obj == "old" else 29),
            )
        Delivery.objects.filter(object_id="pending").update(
            created_at=timezone.now() - timedelta(days=90)
        )
    run = engine.run(workspace_ids=[cast.acme.pk])
    assert run.removed_in(cast.acme.pk)["webhooks.deliveries"] == 1
    with scopes_disabled():
        left = set(Delivery.objects.values_list("object_id", flat=True))
    assert left == {"recent", "pending"}


def test_no_job_of_its_own_deletes_the_delivery_history():
    """The retention run is the only path (P5): no periodic purge beside it."""
    from terabox_crm.webhooks import tasks

    assert not hasattr(tasks, "purge_webhook_history")
    assert not hasattr(delivery, "purge_finished")


def test_deals_events_reach_the_endpoints(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    """The webhooks app listens to the deals app's committed events too, and an
    endpoint gets only the events it chose."""
    make_endpoint(receiver.url, events=["deal.stage_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        bus.publish("deal.stage_changed", workspace_id=cast.acme.pk, object_id="d-3")
        bus.publish("deal.updated", workspace_id=cast.acme.pk, object_id="d-3")
    assert _only_delivery().event == "deal.stage_changed"
    assert json.loads(receiver.requests[0].body)["data"] == {"id": "d-3"}
