"""The hash of an audit event, shared by ``record()`` and ``verify``.

``hash = SHA-256(prev_hash ‖ SHA-256(0x00 ‖ canonical_json(body)))``; the
genesis ``prev_hash`` is 32 zero bytes; canonical JSON has sorted keys, UTF-8
and no whitespace, times as ISO 8601 UTC strings with microseconds. The 0x00
prefix separates event leaves from any other hashed structure (RFC 6962).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64

_sha256 = hashlib.sha256
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class CanonicalJSONEncoder(json.JSONEncoder):
    """Stores an event's payload already in canonical form (sorted keys, no
    whitespace), so the verifier can usually hash the stored text as it is."""

    def __init__(self, *args, **kwargs):
        kwargs.update(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        super().__init__(*args, **kwargs)


def canonical_json(data) -> bytes:
    return _dumps(data).encode()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def body(
    *,
    chain: str,
    seq: int,
    created_at: datetime,
    workspace_id,
    actor_id,
    action: str,
    object_type: str,
    object_id: str,
    request_id: str,
    channel: str,
    payload,
    detail_digest: str,
) -> dict:
    """The chained fields of an event, exactly as hashed."""
    return {
        "chain": chain,
        "seq": seq,
        "time": iso(created_at),
        "workspace": str(workspace_id) if workspace_id else None,
        "actor": str(actor_id) if actor_id else None,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "request_id": request_id,
        "channel": channel,
        "payload": payload,
        "detail_digest": detail_digest,
    }


def compute_hash(prev_hash: str, event_body: dict) -> str:
    leaf = _sha256(b"\x00" + canonical_json(event_body)).digest()
    return _sha256(bytes.fromhex(prev_hash) + leaf).hexdigest()


def detail_digest(ciphertext: str) -> str:
    """What the chain records of an event's encrypted personal side."""
    return _sha256(ciphertext.encode()).hexdigest()
