"""A transaction's events reach the endpoints together (docs/performance.md,
"Webhook fan-out"): a bulk change or an import batch costs the fan-out the
same queries for 5 records as for 50, passes the same purpose gate (P3) as
one event does, records one provision per third party (P4), and announces
nothing a rolled-back savepoint undid."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services as contacts
from terabox_crm.contacts.tests.support import make_contact
from terabox_crm.core import bus
from terabox_crm.core.selectors import membership_in
from terabox_crm.imports.tests.helpers import csv_bytes, run, upload
from terabox_crm.privacy.models import ProvisionRecord, ProvisionSubject
from terabox_crm.testing.purpose_gate import assert_channel_gated
from terabox_crm.webhooks import fanout, services
from terabox_crm.webhooks.models import Delivery


@pytest.fixture
def queued(monkeypatch):
    """The delivery ids handed to the job queue (no HTTP request is made)."""
    found: list[list[str]] = []
    monkeypatch.setattr(fanout, "enqueue_many", found.append)
    return found


def _endpoint(cast, receiver, events=("contact.updated",), **extra):
    with scopes_disabled():
        return services.endpoint_create(
            membership=membership_in(cast.acme, cast.admin),
            url=receiver.url,
            event_names=list(events),
            **extra,
        ).endpoint


def _contacts(cast, count: int, prefix: str) -> list:
    member = membership_in(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        return [make_contact(member, family=f"{prefix}{n}") for n in range(count)]


def _deliveries(**filters) -> list[Delivery]:
    with scopes_disabled():
        return list(Delivery.objects.filter(**filters))


def _emit_queries(cast, contacts_, capture) -> int:
    with CaptureQueriesContext(connection) as captured, capture(execute=True):
        sent = fanout.emit_many(
            "contact.updated", workspace_id=cast.acme.pk, object_ids=[c.pk for c in contacts_]
        )
    assert sent == len(contacts_) * 2  # two endpoints
    sql = [query["sql"] for query in captured.captured_queries]
    # The deliveries go in multi-row INSERTs (SQLite splits one at its limit
    # of bound values): at most one per 50 deliveries, counted apart.
    inserts = [s for s in sql if s.startswith('INSERT INTO "webhooks_delivery"')]
    assert 1 <= len(inserts) <= 1 + sent // 50
    return len(sql) - len(inserts)


def test_five_and_fifty_contacts_cost_the_fan_out_the_same_queries(
    cast, receiver, queued, django_capture_on_commit_callbacks
):
    _endpoint(cast, receiver)
    partner = _endpoint(cast, receiver, third_party=True, recipient="Partner Inc.")
    five, fifty = _contacts(cast, 5, "F"), _contacts(cast, 50, "G")
    fanout.subscribed_events(cast.acme.pk)  # cached, as in a process that ran before
    capture = django_capture_on_commit_callbacks
    assert _emit_queries(cast, five, capture) == _emit_queries(cast, fifty, capture)
    # One event per contact, the same id to both endpoints; a job per delivery.
    sent = _deliveries(object_id__in=[str(c.pk) for c in fifty])
    assert len(sent) == 100 and len({d.event_id for d in sent}) == 50
    assert all(d.payload["id"] == str(d.event_id) for d in sent)
    assert {d.payload["data"]["id"] for d in sent} == {str(c.pk) for c in fifty}
    assert sorted(id_ for batch in queued for id_ in batch) == sorted(
        str(d.pk) for d in _deliveries()
    )
    # The third party: one provision record per batch, naming every contact (P4).
    with scopes_disabled():
        records = list(ProvisionRecord.objects.filter(reference=str(partner.pk)))
        assert sorted(r.subject_count for r in records) == [5, 50]
        big = next(r for r in records if r.subject_count == 50)
        named = set(
            ProvisionSubject.objects.filter(record=big).values_list("subject_id", flat=True)
        )
    assert named == {c.pk for c in fifty}


@pytest.mark.parametrize("purpose", ["communication", "support"])
def test_a_batch_passes_the_purpose_gate_as_one_event_does(cast, receiver, queued, purpose):
    """The conformance test (testing/purpose_gate.py) with every contact
    announced in one group, as a bulk change announces them."""
    _endpoint(cast, receiver, purpose=purpose)
    pending: list = []

    def reached(contact) -> bool:
        if pending:
            fanout.emit_many(
                "contact.updated",
                workspace_id=cast.acme.pk,
                object_ids=[c.pk for c in pending],
            )
            pending.clear()
        return bool(_deliveries(object_id=str(contact.pk)))

    assert_channel_gated(
        workspace=cast.acme,
        membership=membership_in(cast.acme, cast.member),
        purpose=purpose,
        channel="webhooks",
        act=pending.append,
        reached=reached,
    )


def test_a_bulk_change_is_announced_together_after_its_commit(
    cast, receiver, queued, django_capture_on_commit_callbacks
):
    _endpoint(cast, receiver)
    heard: list[tuple[str, int]] = []
    bus.subscribe_many(listener := lambda name, ws, ids: heard.append((name, len(ids))))
    chosen = _contacts(cast, 30, "B")
    try:
        with (
            CaptureQueriesContext(connection) as captured,
            scope(workspace=cast.acme),
            django_capture_on_commit_callbacks(execute=True),
        ):
            changed = contacts.contact_bulk(
                membership=membership_in(cast.acme, cast.owner),
                ids=[str(c.pk) for c in chosen],
                action="owner",
                value=str(cast.manager.pk),
            )
    finally:
        bus.unsubscribe(listener)
    assert changed == 30
    assert ("contact.updated", 30) in heard and len(heard) == 1
    assert len(_deliveries(event="contact.updated")) == 30
    # For the whole change, not per contact: the events subscribed to (kept
    # in the shared cache from then on) and the endpoints.
    endpoint_reads = [q for q in captured.captured_queries if "webhooks_endpoint" in q["sql"]]
    assert len(endpoint_reads) == 2


def test_an_import_batch_announces_only_the_rows_it_kept(
    cast, receiver, queued, django_capture_on_commit_callbacks
):
    """The failed row's company was created in its savepoint, then rolled
    back with it: its ``company.created`` is never sent."""
    _endpoint(cast, receiver, events=("contact.created", "company.created"))
    manager = membership_in(cast.acme, cast.manager)
    item = upload(
        manager,
        csv_bytes(
            [
                ["姓", "名", "メール", "会社"],
                ["山田", "花子", "hanako@example.jp", "テラ商事"],
                ["佐藤", "一郎", "bad address", "新会社"],
                ["鈴木", "次郎", "jiro@example.jp", "テラ商事"],
            ]
        ),
    )
    done = run(manager, django_capture_on_commit_callbacks, item, dry_run=False)
    assert (done.created, done.errors) == (2, 1)
    with scopes_disabled():
        from terabox_crm.contacts.models import Company, Contact

        created = {
            str(pk)
            for pk in Contact.objects.filter(workspace=cast.acme).values_list("pk", flat=True)
        }
        companies = {
            str(pk)
            for pk in Company.objects.filter(workspace=cast.acme).values_list("pk", flat=True)
        }
    assert {d.object_id for d in _deliveries(event="contact.created")} == created
    assert {d.object_id for d in _deliveries(event="company.created")} == companies
    assert len(companies) == 1  # テラ商事 only: 新会社 was rolled back with its row


def test_a_group_reaches_a_real_receiver_one_request_per_contact(
    cast, receiver, django_capture_on_commit_callbacks
):
    """Through the job queue (immediate in tests): the group's job queues
    one delivery job each, and each contact is its own signed event."""
    _endpoint(cast, receiver)
    chosen = _contacts(cast, 3, "R")
    with scope(workspace=cast.acme), django_capture_on_commit_callbacks(execute=True):
        contacts.contact_bulk(
            membership=membership_in(cast.acme, cast.owner),
            ids=[str(c.pk) for c in chosen],
            action="stage",
            value="customer",
        )
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert sorted(body["data"]["id"] for body in bodies) == sorted(str(c.pk) for c in chosen)
    assert len({body["id"] for body in bodies}) == 3
    assert {d.status for d in _deliveries()} == {Delivery.Status.SUCCEEDED}


def test_a_lone_delivery_is_queued_at_once_and_a_group_by_a_job_per_thousand(monkeypatch):
    from terabox_crm.webhooks import tasks

    alone, groups = [], []
    monkeypatch.setattr(tasks, "deliver_webhook", alone.append)
    monkeypatch.setattr(tasks, "queue_webhook_deliveries", groups.append)
    fanout.enqueue_many(["d-1"])
    assert alone == ["d-1"] and groups == []
    ids = [f"d-{n}" for n in range(2500)]
    fanout.enqueue_many(ids)
    assert [len(group) for group in groups] == [1000, 1000, 500]
    assert [id_ for group in groups for id_ in group] == ids
    assert alone == ["d-1"]
