"""The key ring: the key-encryption key (KEK) and the data keys it wraps.

Design (docs/decisions/0002-field-encryption.md):

* The KEK comes from ``CRM_MASTER_KEY`` (32 bytes, base64) or, for the
  embedded default only, from ``keys/master.key`` generated in the data dir.
  Its id is a short hash of the key so a wrong KEK is recognised at once.
* Each scope (``system``, a workspace id, or ``subject:<id>`` for a person's
  crypto-shredding key) has data keys stored wrapped with AES-KW (RFC 3394).
  One key per scope and purpose is ``active``; rotation makes the old one
  ``decrypt-only``.
* Unwrapped keys and their ``AESGCM`` objects are cached per process:
  building ``AESGCM`` per call halves throughput (NOTES.md).
* Destroying keys (erasure's crypto-shredding, P8; retention shredding, P5;
  old keys after a rotation) reaches the other processes through the shared
  cache (Redis when configured, the SQLite cache file otherwise): every
  destruction writes a new random *destruction generation* there, now and on
  commit. A process reads the generation on use, at most once per
  ``GENERATION_RECHECK_SECONDS``; when it changed, one query over the key ids
  it holds drops those destroyed (or gone), so a destroyed key stops
  decrypting everywhere within that bound, not at the next restart.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from terabox_crm import datadir
from terabox_crm.env import ConfigurationError, env_secret
from terabox_crm.rows import insert

SYSTEM_SCOPE = "system"

log = logging.getLogger(__name__)


class KeyUnavailable(RuntimeError):
    """A key the data names cannot be used (destroyed, or wrapped under another KEK)."""


@dataclass(frozen=True)
class LoadedKey:
    key_id: str
    scope: str
    raw: bytes
    aead: AESGCM


_lock = threading.Lock()
_kek: tuple[str, bytes] | None = None
_cache: dict[str, LoadedKey] = {}
_active: dict[tuple[str, str], str] = {}
# When each scope's active key was last read from the database. Another
# process (``keys rotate``) may have made it decrypt-only: after this many
# seconds the row is read again, so new data stops naming the old key.
ACTIVE_RECHECK_SECONDS = 60.0
_active_read_at: dict[tuple[str, str], float] = {}

# The destruction generation in the shared cache (see the module docstring).
GENERATION_CACHE_KEY = "crypto:keys:destroyed-generation"
GENERATION_CACHE_ALIAS = "default"
GENERATION_RECHECK_SECONDS = 0.5
_UNSEEN = object()
_generation: object = _UNSEEN
_generation_read_at = float("-inf")


def _decode_kek(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ConfigurationError("CRM_MASTER_KEY must be 32 bytes, base64-encoded") from None
    if len(raw) != 32:
        raise ConfigurationError("CRM_MASTER_KEY must be 32 bytes, base64-encoded")
    return raw


def kek() -> tuple[str, bytes]:
    """Return ``(kek_id, kek)``, reading or (embedded default) generating it."""
    global _kek
    if _kek is None:
        text = env_secret("CRM_MASTER_KEY")
        if not text:
            if settings.PRODUCTION:
                raise ConfigurationError(
                    "CRM_ENV=production requires CRM_MASTER_KEY (or CRM_MASTER_KEY_FILE)"
                )
            target = datadir.private_dir("keys") / "master.key"
            if not target.exists():
                datadir.write_private_file(target, base64.b64encode(secrets.token_bytes(32)))
            text = target.read_text(encoding="utf-8").strip()
        raw = _decode_kek(text)
        _kek = (kek_id_of(raw), raw)
    return _kek


def kek_id_of(raw: bytes) -> str:
    """The public id of a master key (a short hash: it names, never reveals)."""
    return hashlib.sha256(b"tbx-kek-id" + raw).hexdigest()[:16]


def master_key_is_generated() -> bool:
    """True when the KEK lives in the data dir (fine for a demo, not for production)."""
    return not env_secret("CRM_MASTER_KEY")


def reset_cache() -> None:
    """Forget unwrapped keys (tests, and after a restore or rotation in another process)."""
    global _kek, _generation, _generation_read_at
    with _lock:
        _kek = None
        _cache.clear()
        _active.clear()
        _active_read_at.clear()
        _generation = _UNSEEN
        _generation_read_at = float("-inf")


def _shared_cache():
    from django.core.cache import caches

    return caches[GENERATION_CACHE_ALIAS]


def announce_destroyed() -> None:
    """Tell every process that keys were destroyed: a new random generation
    in the shared cache, now and again once the caller's transaction commits
    (a process that rechecked in between still saw the key alive)."""

    def bump() -> None:
        try:
            _shared_cache().set(GENERATION_CACHE_KEY, secrets.token_hex(8), None)
        except Exception:  # the cache is down: readers treat that as a change
            log.warning("crypto: could not announce destroyed keys to the shared cache")

    bump()
    transaction.on_commit(bump)


def _check_generation() -> None:
    """Drop cached keys another process destroyed (at most one cache read per
    ``GENERATION_RECHECK_SECONDS``, one query when the generation moved)."""
    global _generation, _generation_read_at
    now = time.monotonic()
    if now - _generation_read_at < GENERATION_RECHECK_SECONDS:
        return
    _generation_read_at = now
    try:
        current = _shared_cache().get(GENERATION_CACHE_KEY)
    except Exception:  # unknown: check the keys held rather than trust them
        log.warning("crypto: the shared cache did not answer; rechecking cached keys")
        current = object()
    if current == _generation:
        return
    _generation = current
    _forget_destroyed()


def _forget_destroyed() -> None:
    from terabox_crm.crypto.models import DataKey

    held = list(_cache)
    alive: set[str] = set()
    for start in range(0, len(held), 1000):
        alive.update(
            DataKey.objects.filter(key_id__in=held[start : start + 1000])
            .exclude(status=DataKey.Status.DESTROYED)
            .values_list("key_id", flat=True)
        )
    gone = set(held) - alive
    if gone:
        _drop(gone)


def _drop(key_ids) -> None:
    key_ids = set(key_ids)
    with _lock:
        for key_id in key_ids:
            _cache.pop(key_id, None)
        for pair in [pair for pair, key_id in _active.items() if key_id in key_ids]:
            _active.pop(pair, None)
            _active_read_at.pop(pair, None)


def _load(row) -> LoadedKey:
    from terabox_crm.crypto.models import DataKey

    if row.status == DataKey.Status.DESTROYED or row.wrapped is None:
        raise KeyUnavailable(f"data key {row.key_id} has been destroyed")
    kek_id, kek_raw = kek()
    if row.kek_id != kek_id:
        raise KeyUnavailable(
            f"data key {row.key_id} is wrapped under master key {row.kek_id}, not {kek_id}"
        )
    raw = aes_key_unwrap(kek_raw, bytes(row.wrapped))
    return LoadedKey(row.key_id, row.scope, raw, AESGCM(raw))


def get_key(key_id: str) -> LoadedKey:
    _check_generation()
    loaded = _cache.get(key_id)
    if loaded is not None:
        return loaded
    from terabox_crm.crypto.models import DataKey

    try:
        row = DataKey.objects.get(key_id=key_id)
    except DataKey.DoesNotExist:
        raise KeyUnavailable(f"data key {key_id} is unknown") from None
    loaded = _load(row)
    with _lock:
        _cache[key_id] = loaded
    return loaded


def preload(key_ids) -> None:
    """Load several keys with one query (a list page decrypting rows of many
    subjects). Unknown, destroyed or foreign-KEK keys are skipped here;
    ``get_key`` reports them as usual."""
    from terabox_crm.crypto.models import DataKey

    _check_generation()
    missing = {key_id for key_id in key_ids if key_id and key_id not in _cache}
    if not missing:
        return
    for row in DataKey.objects.filter(key_id__in=missing):
        try:
            loaded = _load(row)
        except KeyUnavailable:
            continue
        with _lock:
            _cache[row.key_id] = loaded


def create_key(scope: str, purpose: str) -> LoadedKey:
    """Create, wrap and store a new active key; the previous active one becomes decrypt-only."""
    from terabox_crm.crypto.models import DataKey

    kek_id, kek_raw = kek()
    raw = secrets.token_bytes(32)
    key_id = secrets.token_hex(8)
    with transaction.atomic():
        DataKey.objects.filter(scope=scope, purpose=purpose, status=DataKey.Status.ACTIVE).update(
            status=DataKey.Status.DECRYPT_ONLY
        )
        DataKey.objects.create(
            key_id=key_id,
            scope=scope,
            purpose=purpose,
            wrapped=aes_key_wrap(kek_raw, raw),
            kek_id=kek_id,
        )
    loaded = LoadedKey(key_id, scope, raw, AESGCM(raw))

    def remember() -> None:
        # Only once committed: a rolled-back key must never be used again.
        with _lock:
            _cache[key_id] = loaded
            _active[(scope, purpose)] = key_id
            _active_read_at[(scope, purpose)] = time.monotonic()

    transaction.on_commit(remember)
    return loaded


def create_first_keys(scopes, purpose: str = "encryption") -> dict[str, LoadedKey]:
    """A new active key for each of ``scopes`` that has none yet, with one INSERT.

    For scopes born in the caller's transaction (the subject key of a contact
    created there): there is no older key to look up or make decrypt-only,
    so this skips ``active_key``'s SELECT and ``create_key``'s UPDATE. Each
    scope still gets its own random 256-bit key in its own row, wrapped under
    the KEK, so destroying one scope (crypto-shredding) leaves the others.
    A batch passes all its scopes at once.
    """
    from terabox_crm.crypto.models import DataKey

    kek_id, kek_raw = kek()
    loaded, rows = {}, []
    for scope in scopes:
        raw = secrets.token_bytes(32)
        key_id = secrets.token_hex(8)
        loaded[scope] = LoadedKey(key_id, scope, raw, AESGCM(raw))
        rows.append(
            DataKey(
                key_id=key_id,
                scope=scope,
                purpose=purpose,
                wrapped=aes_key_wrap(kek_raw, raw),
                kek_id=kek_id,
            )
        )
    insert(rows)  # one INSERT, built once (``terabox_crm.rows``)

    def remember() -> None:
        # Only once committed, as in ``create_key``.
        now = time.monotonic()
        with _lock:
            for scope, key in loaded.items():
                _cache[key.key_id] = key
                _active[(scope, purpose)] = key.key_id
                _active_read_at[(scope, purpose)] = now

    transaction.on_commit(remember)
    return loaded


def active_key(scope: str, purpose: str = "encryption") -> LoadedKey:
    """The key new data of ``scope`` is written with, created on first use."""
    _check_generation()
    key_id = _active.get((scope, purpose))
    fresh = time.monotonic() - _active_read_at.get((scope, purpose), 0.0) < ACTIVE_RECHECK_SECONDS
    if key_id is not None and key_id in _cache and fresh:
        return _cache[key_id]
    from terabox_crm.crypto.models import DataKey

    row = (
        DataKey.objects.filter(scope=scope, purpose=purpose, status=DataKey.Status.ACTIVE)
        .order_by("-created_at")
        .first()
    )
    if row is None:
        try:
            with transaction.atomic():
                return create_key(scope, purpose)
        except IntegrityError:  # pragma: no cover - two processes raced; reread
            return active_key(scope, purpose)
    loaded = _cache.get(row.key_id) or _load(row)  # a recheck usually finds the same key
    with _lock:
        _cache[row.key_id] = loaded
        _active[(scope, purpose)] = row.key_id
        _active_read_at[(scope, purpose)] = time.monotonic()
    return loaded


def destroy_scope(scope: str) -> int:
    """Destroy every key of ``scope`` (crypto-shredding): their data becomes unreadable."""
    from terabox_crm.crypto.models import DataKey

    rows = list(DataKey.objects.filter(scope=scope).values_list("key_id", flat=True))
    DataKey.objects.filter(scope=scope).update(
        status=DataKey.Status.DESTROYED, wrapped=None, destroyed_at=timezone.now()
    )
    with _lock:
        for key_id in rows:
            _cache.pop(key_id, None)
        for pair in [pair for pair in _active if pair[0] == scope]:
            _active.pop(pair, None)
            _active_read_at.pop(pair, None)
    if rows:
        announce_destroyed()
    return len(rows)


def destroy_key(key_id: str) -> None:
    """Destroy one key (an old key no data names any more): it can never decrypt again."""
    from terabox_crm.crypto.models import DataKey

    DataKey.objects.filter(key_id=key_id).update(
        status=DataKey.Status.DESTROYED, wrapped=None, destroyed_at=timezone.now()
    )
    _drop([key_id])
    announce_destroyed()


def destroy_keys(key_ids) -> int:
    """Destroy several keys with one UPDATE (retention shredding old audit
    details, P5): their data can never be decrypted again."""
    from terabox_crm.crypto.models import DataKey

    key_ids = list(key_ids)
    count = DataKey.objects.filter(key_id__in=key_ids).update(
        status=DataKey.Status.DESTROYED, wrapped=None, destroyed_at=timezone.now()
    )
    _drop(key_ids)
    if count:
        announce_destroyed()
    return count


def derive(key: LoadedKey, domain: str, length: int = 32) -> bytes:
    """A subkey of ``key`` for one domain (HKDF-SHA256), e.g. one blind index."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=domain.encode()).derive(
        key.raw
    )


def check_all_keys() -> list[str]:
    """Unwrap every stored, non-destroyed key; return the problems found (readiness)."""
    from terabox_crm.crypto.models import DataKey

    problems = []
    for row in DataKey.objects.exclude(status=DataKey.Status.DESTROYED).iterator():
        try:
            _load(row)
        except Exception as exc:  # any failure to unwrap is a readiness failure
            problems.append(f"{row.key_id}: {exc}")
    return problems
