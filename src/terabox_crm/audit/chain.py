"""Appending to the audit chain.

``hash = SHA-256(prev_hash ‖ SHA-256(0x00 ‖ canonical_json(event)))`` with a
genesis ``prev_hash`` of 32 zero bytes (``hashing.py``,
docs/decisions/0001-audit-chain.md). Each event is one INSERT whose hash is
computed beforehand, inside the caller's transaction, after locking the chain
head: on PostgreSQL with ``SELECT … FOR UPDATE``, on SQLite by the IMMEDIATE
transaction that already holds the write lock. An event therefore never
describes a rolled-back change, and a change never commits without its event.
Every ``CHECKPOINT_EVERY``-th event also gets a signed checkpoint in the same
transaction.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from functools import cache

from cryptography.exceptions import InvalidTag
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from terabox_crm import context, rows
from terabox_crm.audit import actions, checkpoints
from terabox_crm.audit.hashing import GENESIS, canonical_json, compute_hash, detail_digest, iso
from terabox_crm.audit.hashing import body as _body
from terabox_crm.audit.models import AuditDetail, AuditEvent, ChainHead
from terabox_crm.crypto import keyring

__all__ = [
    "GENESIS",
    "SYSTEM_CHAIN",
    "DetailUnreadable",
    "canonical_json",
    "compute_hash",
    "event_body",
    "iso",
    "open_detail",
    "record",
    "subject_scope",
]

SYSTEM_CHAIN = "system"


class DetailUnreadable(ValueError):
    """An event's personal side fails authentication: it was altered or moved."""


def event_body(event: AuditEvent) -> dict:
    """The chained fields of an event, exactly as hashed."""
    return _body(
        chain=event.chain,
        seq=event.seq,
        created_at=event.created_at,
        workspace_id=event.workspace_id,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        request_id=event.request_id,
        channel=event.channel,
        payload=event.payload,
        detail_digest=event.detail_digest,
    )


@cache
def _head_statements(vendor: str) -> dict[str, str]:
    """Locking and moving the chain head, built once per database vendor."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    head = quote(ChainHead._meta.db_table)
    chain, seq, hash_ = (
        quote(ChainHead._meta.get_field(n).column) for n in ("chain", "seq", "hash")
    )
    lock = " FOR UPDATE" if vendor == "postgresql" else ""  # SQLite: the IMMEDIATE transaction
    return {
        "lock": f"SELECT {seq}, {hash_} FROM {head} WHERE {chain} = %s{lock}",  # noqa: S608  # nosec B608  # quoted names from the model
        "advance": f"UPDATE {head} SET {seq} = %s, {hash_} = %s WHERE {chain} = %s",  # noqa: S608  # nosec B608  # quoted names from the model
    }


def _lock_head(chain: str) -> tuple[int, str]:
    """The chain head's ``(seq, hash)``, locked; created (genesis) on the chain's first event.

    Locked first and created only when missing: one statement per append once
    the chain exists. A batch of appends locks it once and appends them all.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _head_statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql["lock"], [chain])
        row = cursor.fetchone()
        if row is None:
            ChainHead.objects.bulk_create(
                [ChainHead(chain=chain, seq=0, hash=GENESIS)], ignore_conflicts=True
            )
            cursor.execute(sql["lock"], [chain])
            row = cursor.fetchone()
    return row[0], row[1]


def _advance_head(chain: str, seq: int, hash_: str) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_head_statements(connection.vendor)["advance"], [seq, hash_, chain])


def subject_scope(subject_id) -> str:
    return f"subject:{subject_id}"


def _detail_aad(chain: str, seq: int) -> bytes:
    return f"tbx/audit/{chain}/{seq}".encode()


def _seal_detail(
    subject: str, detail: dict, chain: str, seq: int, *, new_subject: bool = False
) -> tuple[str, str, str]:
    if new_subject:
        key = keyring.create_first_keys([subject])[subject]
    else:
        key = keyring.active_key(subject)
    nonce = os.urandom(12)
    sealed = key.aead.encrypt(nonce, canonical_json(detail), _detail_aad(chain, seq))
    ciphertext = base64.b64encode(nonce + sealed).decode()
    return key.key_id, ciphertext, detail_digest(ciphertext)


def open_detail(detail: AuditDetail, *, event: AuditEvent | None = None) -> dict | None:
    """Decrypt an event's personal side; None once its subject has been erased.

    Pass ``event`` when it is at hand (list pages) to save a query. Raises
    ``DetailUnreadable`` when the ciphertext was altered or moved to another
    event.
    """

    try:
        key = keyring.get_key(detail.key_id)
    except keyring.KeyUnavailable:
        return None
    event = event if event is not None else detail.event
    try:
        blob = base64.b64decode(detail.ciphertext, validate=True)
        plain = key.aead.decrypt(blob[:12], blob[12:], _detail_aad(event.chain, event.seq))
    except (InvalidTag, ValueError):
        raise DetailUnreadable(f"audit detail of {event.chain}#{event.seq}") from None
    return json.loads(plain)


def record(
    action: str,
    *,
    actor=None,
    workspace=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    payload: dict | None = None,
    personal: dict | None = None,
    subject_id: uuid.UUID | str | None = None,
    new_subject: bool = False,
) -> AuditEvent:
    """Append one event to the chain of ``workspace`` (or the system chain).

    ``payload`` is chained as it is and must hold no personal data or secrets:
    ids, field names, role names, counts. ``personal`` (before/after values of
    personal fields) is encrypted together with the client IP and user agent
    under the key of ``subject_id`` (default: the actor), which erasure destroys.
    ``new_subject``: ``subject_id`` was created in the caller's transaction
    (a new contact), so its key is made without looking for an older one
    (``keyring.create_first_keys``).
    """
    return record_many(
        [
            {
                "action": action,
                "actor": actor,
                "workspace": workspace,
                "obj": obj,
                "object_type": object_type,
                "object_id": object_id,
                "payload": payload,
                "personal": personal,
                "subject_id": subject_id,
                "new_subject": new_subject,
            }
        ]
    )[0]


def record_many(entries: list[dict]) -> list[AuditEvent]:
    """Append several events (each a dict of ``record``'s arguments) in one
    batch: each chain's head is locked and moved once, the events and their
    details are INSERTed together — a bulk action's cost does not grow in
    statements with the records it changes (docs/performance.md)."""
    ctx = context.current()
    by_chain: dict[str, list[tuple[AuditEvent, dict]]] = {}
    for entry in entries:
        action = entry["action"]
        actions.get(action)  # unknown names fail loudly
        workspace = entry.get("workspace")
        workspace_id = getattr(workspace, "pk", workspace)
        obj = entry.get("obj")
        object_type, object_id = entry.get("object_type", ""), entry.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(obj.pk)
        actor_id = getattr(entry.get("actor"), "pk", entry.get("actor"))
        event = AuditEvent(
            chain=str(workspace_id) if workspace_id else SYSTEM_CHAIN,
            workspace_id=workspace_id,
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            request_id=ctx.request_id,
            channel=ctx.channel,
            payload=entry.get("payload") or {},
        )
        by_chain.setdefault(event.chain, []).append((event, entry))
    made: list[AuditEvent] = []
    with transaction.atomic():
        for chain, batch in by_chain.items():
            made += _append(chain, batch, ctx)
    return made


def _append(chain: str, batch: list[tuple[AuditEvent, dict]], ctx) -> list[AuditEvent]:
    head_seq, head_hash = _lock_head(chain)
    events, details = [], []
    for event, entry in batch:
        head_seq += 1
        event.seq = head_seq
        event.created_at = timezone.now()
        subject_id = entry.get("subject_id")
        subject = subject_id or event.actor_id
        personal = entry.get("personal")
        detail = {"ip": ctx.ip, "user_agent": ctx.user_agent}
        if personal:
            detail["personal"] = personal
        if ctx.ip or ctx.user_agent or personal:
            # With no person to attach it to (a failed sign-in for an unknown
            # email), the detail goes under a monthly key: destroying that key
            # after the security-event retention shreds the IPs it holds.
            scope = subject_scope(subject) if subject else f"subject:anon-{event.created_at:%Y-%m}"
            new_subject = bool(entry.get("new_subject")) and bool(subject_id)
            key_id, ciphertext, digest = _seal_detail(
                scope, detail, chain, event.seq, new_subject=new_subject
            )
            event.detail_digest = digest
            details.append(
                AuditDetail(event=event, subject=scope, key_id=key_id, ciphertext=ciphertext)
            )
        event.prev_hash = head_hash
        event.hash = head_hash = compute_hash(head_hash, event_body(event))
        events.append(event)
    rows.insert(events)  # each event's single INSERT; never updated afterwards
    if details:
        for item in details:
            item.event_id = item.event.pk
        rows.insert(details)
    _advance_head(chain, head_seq, head_hash)
    for event in events:
        if event.seq % checkpoints.CHECKPOINT_EVERY == 0:
            checkpoints.write_checkpoint(chain=chain, seq=event.seq, hash=event.hash)
    return events
