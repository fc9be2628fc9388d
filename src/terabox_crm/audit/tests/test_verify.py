"""``verify`` names the first bad event for each kind of tampering (S5).

Each test tampers with raw SQL through the maintenance window, as someone
with database access would after disabling the triggers.
"""

import base64
import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from terabox_crm import audit
from terabox_crm.audit import chain, checkpoints, signing, verify
from terabox_crm.audit.hashing import compute_hash
from terabox_crm.audit.models import AuditEvent, ChainHead, Checkpoint
from terabox_crm.audit.tests.conftest import (
    PLAIN_EVENT,
    chain_of,
    record_from,
    tamper,
)


@pytest.fixture
def acme_chain(cast):
    """Ten events in Acme's chain, a signed checkpoint at 5 (and one at the head)."""
    for n in range(10):
        record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin, payload={"n": n})
        if n == 4:
            checkpoints.checkpoint_chain(chain_of(cast.acme))
    return chain_of(cast.acme)


def finding(chain_name, **kwargs):
    report = verify.verify_chain(chain_name, **kwargs)
    assert not report.ok, report.summary()
    return report.finding.seq, report.finding.reason


def test_an_intact_chain_verifies(acme_chain):
    report = verify.verify_chain(acme_chain)
    assert report.ok, report.summary()
    assert (report.events, report.first_seq, report.last_seq) == (10, 1, 10)
    assert report.checkpoints == 1
    assert report.summary().startswith(f"chain {acme_chain}: ok, 10 events")


def test_every_chain_verifies_including_the_system_chain(acme_chain, cast):
    audit.record(PLAIN_EVENT)
    reports = verify.verify_all()
    assert {report.chain for report in reports} >= {acme_chain, chain.SYSTEM_CHAIN}
    assert all(report.ok for report in reports)


def test_an_edited_event_is_named(acme_chain):
    tamper(
        "UPDATE audit_auditevent SET object_id = 'forged' WHERE chain = %s AND seq = 4",
        [acme_chain],
    )
    assert finding(acme_chain) == (4, "edited")


def test_an_edited_payload_is_named(acme_chain):
    tamper(
        "UPDATE audit_auditevent SET payload = %s WHERE chain = %s AND seq = 7",
        ['{"n": 99}', acme_chain],
    )
    assert finding(acme_chain) == (7, "edited")


def test_a_deleted_event_is_named_as_a_gap(acme_chain):
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq = 6)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 6", [acme_chain])
    seq, reason = finding(acme_chain)
    assert (seq, reason) == (6, "missing")


def test_a_deleted_event_with_the_rest_renumbered_breaks_prev_hash(acme_chain):
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq = 6)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 6", [acme_chain])
    for seq in range(7, 11):
        tamper(
            "UPDATE audit_auditevent SET seq = %s WHERE chain = %s AND seq = %s",
            [seq - 1, acme_chain, seq],
        )
    assert finding(acme_chain) == (6, "prev_hash")


def test_reordered_events_are_named(acme_chain):
    tamper("UPDATE audit_auditevent SET seq = -3 WHERE chain = %s AND seq = 3", [acme_chain])
    tamper("UPDATE audit_auditevent SET seq = 3 WHERE chain = %s AND seq = 4", [acme_chain])
    tamper("UPDATE audit_auditevent SET seq = 4 WHERE chain = %s AND seq = -3", [acme_chain])
    assert finding(acme_chain) == (3, "prev_hash")


def test_a_truncated_tail_is_named_from_the_chain_head(acme_chain):
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq > 8)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 8", [acme_chain])
    assert finding(acme_chain) == (9, "truncated")


def test_a_truncated_tail_with_a_rewound_head_is_named_from_the_checkpoint(acme_chain):
    checkpoints.checkpoint_chain(acme_chain)  # signed at 10
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq > 8)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 8", [acme_chain])
    eighth = AuditEvent.objects.get(chain=acme_chain, seq=8)
    ChainHead.objects.filter(chain=acme_chain).update(seq=8, hash=eighth.hash)
    assert finding(acme_chain) == (9, "truncated")


def test_a_checkpoint_with_a_bad_signature_is_named(acme_chain):
    tamper(
        "UPDATE audit_checkpoint SET signature = %s WHERE chain = %s AND seq = 5",
        [base64.b64encode(b"\x00" * 64).decode(), acme_chain],
    )
    assert finding(acme_chain) == (5, "forged_checkpoint")


def test_a_checkpoint_moved_to_another_hash_is_named(acme_chain):
    sixth = AuditEvent.objects.get(chain=acme_chain, seq=6)
    tamper(
        "UPDATE audit_checkpoint SET hash = %s WHERE chain = %s AND seq = 5",
        [sixth.hash, acme_chain],
    )
    assert finding(acme_chain) == (5, "forged_checkpoint")


def test_a_checkpoint_signed_by_an_unknown_key_is_named(acme_chain):
    rogue = Ed25519PrivateKey.generate()
    rogue_id = signing.key_id_of(rogue.public_key().public_bytes_raw())
    moment = datetime.datetime.now(datetime.UTC)
    head = ChainHead.objects.get(chain=acme_chain)
    message = signing.checkpoint_message(
        chain=acme_chain, seq=head.seq, hash=head.hash, created_at=moment, key_id=rogue_id
    )
    Checkpoint.objects.create(
        chain=acme_chain,
        seq=head.seq,
        hash=head.hash,
        created_at=moment,
        key_id=rogue_id,
        signature=base64.b64encode(rogue.sign(message)).decode(),
    )
    assert finding(acme_chain) == (10, "unknown_key")


def test_an_edited_detail_is_named(acme_chain):
    tamper(
        "UPDATE audit_auditdetail SET ciphertext = %s"
        " WHERE event_id = (SELECT id FROM audit_auditevent WHERE chain = %s AND seq = 2)",
        [base64.b64encode(b"\x01" * 40).decode(), acme_chain],
    )
    assert finding(acme_chain) == (2, "detail_edited")


def test_a_deleted_detail_is_named(acme_chain):
    tamper(
        "DELETE FROM audit_auditdetail"
        " WHERE event_id = (SELECT id FROM audit_auditevent WHERE chain = %s AND seq = 3)",
        [acme_chain],
    )
    assert finding(acme_chain) == (3, "detail_missing")


def test_a_history_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint(acme_chain):
    # The attacker edits event 2 and re-hashes everything after it, head included:
    # only the signed checkpoint at 5 still knows the true hash.
    prev = AuditEvent.objects.get(chain=acme_chain, seq=1).hash
    for event in AuditEvent.objects.filter(chain=acme_chain, seq__gte=2).order_by("seq"):
        if event.seq == 2:
            event.object_id = "forged"
        new_hash = compute_hash(prev, chain.event_body(event))
        tamper(
            "UPDATE audit_auditevent SET object_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.object_id, prev, new_hash, event.pk],
        )
        prev = new_hash
    ChainHead.objects.filter(chain=acme_chain).update(hash=prev)
    seq, reason = finding(acme_chain)
    assert (seq, reason) == (5, "checkpoint_mismatch")
    assert "after seq 0" in verify.verify_chain(acme_chain).finding.message


def test_an_event_appended_behind_the_applications_back_is_named(acme_chain):
    ChainHead.objects.filter(chain=acme_chain).update(seq=9)
    assert finding(acme_chain) == (10, "beyond_head")


def test_checkpoints_signed_before_a_key_rotation_still_verify(acme_chain, monkeypatch):
    from cryptography.hazmat.primitives import serialization

    new_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    monkeypatch.setenv("CRM_AUDIT_SIGNING_KEY", new_key.decode())
    signing.reset_cache()
    checkpoints.checkpoint_chain(acme_chain)
    report = verify.verify_chain(acme_chain)
    assert report.ok, report.summary()
    assert report.checkpoints == 2


def test_verification_resumes_from_the_checkpoint_before_removed_events(acme_chain):
    # What retention does: remove old events, keeping the checkpoint just before the rest.
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq <= 5)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq <= 5", [acme_chain])
    report = verify.verify_chain(acme_chain)
    assert report.ok, report.summary()
    assert (report.anchor, report.first_seq, report.events) == ("checkpoint 5", 6, 5)


def test_removed_old_events_without_a_checkpoint_are_named(acme_chain):
    tamper(
        "DELETE FROM audit_auditdetail WHERE event_id IN (SELECT id FROM audit_auditevent WHERE chain = %s AND seq <= 3)",
        [acme_chain],
    )
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq <= 3", [acme_chain])
    assert finding(acme_chain) == (1, "missing")


def test_quick_verification_starts_at_the_newest_checkpoint(acme_chain):
    tamper(
        "UPDATE audit_auditevent SET object_id = 'forged' WHERE chain = %s AND seq = 2",
        [acme_chain],
    )
    report = verify.verify_chain(acme_chain, since_checkpoint=True)
    assert report.ok, report.summary()  # the edit lies before the checkpoint it trusts
    assert (report.anchor, report.first_seq) == ("checkpoint 5", 5)
    assert finding(acme_chain) == (2, "edited")


def test_the_fast_path_agrees_with_record_on_awkward_values(cast, monkeypatch):
    # A fast-path formatting slip would be hidden by the reference re-check:
    # forbid the re-check, then verify values that are easy to format wrongly.
    monkeypatch.setattr(verify, "_hash_by_orm", lambda *args: pytest.fail("fast path diverged"))
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)  # no microseconds
    monkeypatch.setattr(chain.timezone, "now", lambda: moment)
    record_from(
        action=PLAIN_EVENT,
        workspace=cast.acme,
        actor=cast.admin,
        object_type='quote"and\\backslash',
        object_id="日本語\n\t\u2028",
        payload={"z": [1, 2.5, None, True], "a": {"ネスト": "値", "b": "\x1f"}, "e": ""},
    )
    audit.record(PLAIN_EVENT, workspace=cast.acme, payload={})
    report = verify.verify_chain(chain_of(cast.acme))
    assert report.ok, report.summary()
    assert report.events == 2
