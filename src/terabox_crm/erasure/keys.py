"""The installation's erasure-ledger key and the keyed hashes made with it.

The key is derived with HKDF from the key-encryption key (``keyring.kek``),
which lives outside the database (environment, file or KMS): a restore of an
older database therefore still computes the same hashes, and a copy of the
database alone cannot test guessed addresses against the ledger. Hashes are
bound to the workspace, so the same address erased in two workspaces gives
two unrelated values. (A KEK rotation changes the key: the ledger file's
entries carry the key id they were made under; see docs/privacy-erasure.md.)
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from terabox_crm.crypto import keyring, normalise

_derived: dict[str, bytes] = {}


def ledger_key() -> tuple[str, bytes]:
    """``(key id, key)`` of the ledger key derived from the current KEK."""
    kek_id, kek = keyring.kek()
    key = _derived.get(kek_id)
    if key is None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"tbx/erasure-ledger/v1"
        ).derive(kek)
        _derived[kek_id] = key
    return kek_id, key


def digest(workspace_id, kind: str, normalised: str) -> str:
    """The keyed hash of one normalised identifier of ``kind`` in a workspace."""
    _kid, key = ledger_key()
    message = f"{kind}\x00{workspace_id}\x00{normalised}".encode()
    return hmac.digest(key, message, "sha256").hex()


def mac(text: str) -> str:
    """The integrity tag of one ledger line."""
    _kid, key = ledger_key()
    return hmac.digest(key, b"line\x00" + text.encode(), "sha256").hex()


def normalised(kind: str, value: str) -> str:
    """``value`` as the index folds it, or "" when it is not one (ignored)."""
    try:
        return normalise.email(value) if kind == "email" else normalise.phone(value)
    except ValueError:
        return ""


def digests(workspace_id, *, emails=(), phones=()) -> dict[str, str]:
    """``{digest: kind}`` of the given plain emails and phones."""
    out: dict[str, str] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            folded = normalised(kind, value)
            if folded:
                out[digest(workspace_id, kind, folded)] = kind
    return out


def fingerprint() -> str:
    """A short public id of the ledger key (which key a line was made under)."""
    _kid, key = ledger_key()
    return hashlib.sha256(b"tbx-ledger-id" + key).hexdigest()[:16]
