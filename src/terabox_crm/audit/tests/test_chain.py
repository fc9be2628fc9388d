"""Appending to the chain: hashes, the encrypted detail, checkpoints."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terabox_crm import audit
from terabox_crm.audit import chain, checkpoints, signing
from terabox_crm.audit.hashing import GENESIS, canonical_json
from terabox_crm.audit.models import AuditDetail, ChainHead, Checkpoint
from terabox_crm.audit.tests.conftest import PLAIN_EVENT, chain_of, record_from, record_many
from terabox_crm.crypto import keyring


def test_first_event_of_a_chain_follows_genesis(cast):
    event = audit.record(PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    assert (event.chain, event.seq, event.prev_hash) == (chain_of(cast.acme), 1, GENESIS)
    assert event.hash == chain.compute_hash(GENESIS, chain.event_body(event))


def test_each_event_links_to_the_previous_one(cast):
    first, second = record_many(2, workspace=cast.acme)
    assert second.seq == 2
    assert second.prev_hash == first.hash
    assert ChainHead.objects.get(chain=first.chain).hash == second.hash


def test_events_outside_a_workspace_go_to_the_system_chain(cast):
    event = audit.record(PLAIN_EVENT)
    assert event.chain == chain.SYSTEM_CHAIN


def test_each_workspace_has_its_own_chain(cast):
    acme = audit.record(PLAIN_EVENT, workspace=cast.acme)
    globex = audit.record(PLAIN_EVENT, workspace=cast.globex)
    assert acme.chain != globex.chain
    assert acme.seq == globex.seq == 1


def test_an_event_is_written_with_a_single_insert(cast):
    audit.record(PLAIN_EVENT, workspace=cast.acme)  # the chain head and keys exist now
    with CaptureQueriesContext(connection) as queries:
        record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    writes = [q["sql"] for q in queries if "audit_auditevent" in q["sql"].split(" WHERE")[0]]
    assert len([sql for sql in writes if sql.startswith("INSERT")]) == 1
    assert not [sql for sql in writes if sql.startswith(("UPDATE", "DELETE"))]


def test_unknown_event_names_are_refused(cast):
    with pytest.raises(ValueError, match="unknown audit event type"):
        audit.record("no.such.event", workspace=cast.acme)


def test_ip_and_user_agent_are_stored_encrypted_beside_the_chain(cast):
    event = record_from(
        ip="198.51.100.23", action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin
    )
    detail = AuditDetail.objects.get(event=event)
    assert "198.51.100.23" not in detail.ciphertext
    assert "198.51.100.23" not in canonical_json(chain.event_body(event)).decode()
    assert detail.subject == chain.subject_scope(cast.admin.pk)
    assert chain.open_detail(detail)["ip"] == "198.51.100.23"


def test_erasing_the_subject_key_redacts_the_detail_but_not_the_event(cast):
    event = record_from(
        action=PLAIN_EVENT,
        workspace=cast.acme,
        actor=cast.admin,
        personal={"email": {"before": "old@acme.example", "after": "new@acme.example"}},
    )
    keyring.destroy_scope(chain.subject_scope(cast.admin.pk))
    assert chain.open_detail(AuditDetail.objects.get(event=event)) is None


def test_a_detail_moved_to_another_event_cannot_be_read(cast):
    first = record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    second = record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    moved = AuditDetail(event=second, subject="x", key_id=first.detail.key_id)
    moved.ciphertext = first.detail.ciphertext
    with pytest.raises(chain.DetailUnreadable):
        chain.open_detail(moved)


def test_a_checkpoint_is_signed_every_thousandth_event(cast, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 3)
    record_many(7, workspace=cast.acme)
    rows = list(Checkpoint.objects.filter(chain=chain_of(cast.acme)).order_by("seq"))
    assert [row.seq for row in rows] == [3, 6]
    assert rows[0].key_id == signing.current().key_id


def test_the_checkpoint_interval_is_one_thousand_events():
    assert checkpoints.CHECKPOINT_EVERY == 1000


def test_hourly_job_checkpoints_only_chains_that_grew(cast):
    record_many(2, workspace=cast.acme)
    record_many(1, workspace=cast.globex)
    assert checkpoints.checkpoint_stale_chains() == 2
    assert checkpoints.checkpoint_stale_chains() == 0
    record_many(1, workspace=cast.acme)
    assert checkpoints.stale_chains() == [chain_of(cast.acme)]
    assert checkpoints.checkpoint_stale_chains() == 1
    newest = Checkpoint.objects.filter(chain=chain_of(cast.acme)).order_by("-seq").first()
    assert (newest.seq, newest.hash) == (3, ChainHead.objects.get(chain=newest.chain).hash)


def test_hourly_task_runs_the_checkpoint_service(cast):
    from terabox_crm.audit import tasks

    record_many(1, workspace=cast.acme)
    tasks.checkpoint_chains_hourly.call_local()
    assert Checkpoint.objects.filter(chain=chain_of(cast.acme), seq=1).exists()
