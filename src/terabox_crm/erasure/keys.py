"""The installation's erasure-ledger key and the keyed hashes made with it.

The key lives in ``keys/erasure-ledger.key`` in the data dir, wrapped with
AES-KW under the key-encryption key (``keyring.kek``), which lives outside
the database (environment, file or KMS): a restore of an older database
therefore still computes the same hashes, and a copy of the database alone
cannot test guessed addresses against the ledger. Hashes are bound to the
workspace, so the same address erased in two workspaces gives two unrelated
values.

The key is *independent of the KEK's generation* (P8, S11): a new master key
re-wraps it (``rewrap``) and leaves it as it was, so the tombstones' hashes
and the ledger file's MACs made before still check, a restore after the
change still re-applies old erasures and a later create of an erased address
is still flagged. Its first value is the one earlier versions derived with
HKDF from the KEK, so an installation that erased people before the key had
a file of its own keeps every hash and ledger line valid: nothing to migrate.
The file is backed up with the other keys (docs/privacy-erasure.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from terabox_crm import datadir
from terabox_crm.core import jsonbody
from terabox_crm.crypto import keyring, normalise

FILE_NAME = "erasure-ledger.key"
_lock = threading.Lock()
_loaded: dict[str, bytes] = {}  # file path → the unwrapped key (per process)
_override: Path | None = None


class LedgerKeyUnavailable(keyring.KeyUnavailable):
    """The ledger key file cannot be unwrapped with the configured master key."""


def key_path() -> Path:
    return _override or datadir.private_dir("keys") / FILE_NAME


def use_key_path(target: Path | None) -> None:
    """Point at another key file (tests of a restore or a master-key change)."""
    global _override
    _override = target
    _loaded.clear()


def _first_value(kek: bytes) -> bytes:
    """The value earlier versions derived from the KEK (so their hashes hold)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tbx/erasure-ledger/v1"
    ).derive(kek)


def _record(key: bytes, kek_id: str, kek: bytes) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "id": _fingerprint_of(key),
            "kek": kek_id,
            "wrapped": base64.b64encode(aes_key_wrap(kek, key)).decode(),
        },
        sort_keys=True,
    ).encode()


def _read(target: Path, keks: dict[str, bytes]) -> bytes:
    """Unwrap the file with whichever accepted master key it names (both the
    old and the new one during a master-key rotation, ``keyring.accepted``)."""
    try:
        # The one JSON reader (size and depth caps), as for the ledger's lines.
        record = jsonbody.parse(target.read_text(encoding="utf-8"))
        wrapped = base64.b64decode(record["wrapped"], validate=True)
    except (OSError, jsonbody.BodyRefused, ValueError, KeyError, TypeError, AttributeError):
        raise LedgerKeyUnavailable(f"the erasure-ledger key file {target} is unreadable") from None
    kek = keks.get(record.get("kek"))
    if kek is None:
        raise LedgerKeyUnavailable(
            f"the erasure-ledger key is wrapped under master key {record.get('kek')}, "
            f"not {' or '.join(keks)}"
        )
    try:
        key = aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        raise LedgerKeyUnavailable("the erasure-ledger key does not unwrap") from None
    if _fingerprint_of(key) != record.get("id"):
        raise LedgerKeyUnavailable("the erasure-ledger key does not match its id")
    return key


def _key() -> bytes:
    target = key_path()
    key = _loaded.get(str(target))
    if key is not None:
        return key
    kek_id, kek = keyring.kek()
    with _lock:
        if not target.exists():
            # Never overwrites: a racing process's file wins and is read below.
            datadir.write_private_file(target, _record(_first_value(kek), kek_id, kek))
        key = _read(target, keyring.accepted())
        _loaded[str(target)] = key
    return key


def wrapped_under() -> str | None:
    """The id of the master key the ledger key file is wrapped under (None
    when there is no file yet); reads the file, unwraps nothing."""
    try:
        record = jsonbody.parse(key_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, jsonbody.BodyRefused, ValueError):
        raise LedgerKeyUnavailable(
            f"the erasure-ledger key file {key_path()} is unreadable"
        ) from None
    kek_id = record.get("kek") if isinstance(record, dict) else None
    return str(kek_id) if kek_id else None


def ledger_key() -> tuple[str, bytes]:
    """``(key id, key)`` of the ledger key (the id is ``fingerprint()``)."""
    key = _key()
    return _fingerprint_of(key), key


def rewrap(new_kek: bytes) -> None:
    """Wrap the ledger key under ``new_kek`` in place of the current KEK (a
    master-key change; the key itself, its hashes and MACs stay the same).
    The file is replaced atomically; run it before switching the master key."""
    key = _key()
    new_id = keyring.kek_id_of(new_kek)
    target = key_path()
    tmp = target.with_suffix(target.suffix + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(_record(key, new_id, new_kek))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    _loaded.pop(str(target), None)


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


def _fingerprint_of(key: bytes) -> str:
    return hashlib.sha256(b"tbx-ledger-id" + key).hexdigest()[:16]


def fingerprint() -> str:
    """A short public id of the ledger key (which key a line was made under)."""
    return _fingerprint_of(_key())
