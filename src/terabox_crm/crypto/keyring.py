"""The key ring: the key-encryption key (KEK) and the data keys it wraps.

Design (docs/decisions/0002-field-encryption.md):

* The KEK comes from exactly one source (``crypto.master``):
  ``CRM_MASTER_KEY``, ``CRM_MASTER_KEY_FILE``, ``CRM_MASTER_KEY_COMMAND``
  (an external KMS) or, for the embedded default only, ``keys/master.key``
  generated in the data dir. Its id is a short hash of the key so a wrong
  KEK is recognised at once. During a master-key rotation both the old and
  the new KEK unwrap and new keys are wrapped under the new one.
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

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from terabox_crm.crypto import master
from terabox_crm.env import ConfigurationError
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
_kek: tuple | None = None  # (kek_id, kek, crypto.master.Source)
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
# The master-key rotation state file as last read (see ``_rotation_now``).
_rotation: object = _UNSEEN
_rotation_read_at = float("-inf")


def kek_id_of(raw: bytes) -> str:
    """The public id of a master key (a short hash: it names, never reveals)."""
    return hashlib.sha256(b"tbx-kek-id" + raw).hexdigest()[:16]


def _missing_generated_key(source) -> None:
    """Refuse to generate a new embedded master key over a database that has
    data keys: the old ``keys/master.key`` was lost or the data dir is not
    the one the database belongs to; a new key would read nothing."""
    from django.db import DatabaseError

    from terabox_crm.crypto.models import DataKey

    try:
        row = (
            DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
            .values_list("kek_id", flat=True)
            .first()
        )
    except DatabaseError:  # not migrated yet: nothing can be wrapped
        return
    if row is not None:
        raise ConfigurationError(
            f"the master key is missing: {source.value} does not exist, but the database "
            f"has data keys wrapped under master key {row}. Restore that file from your key "
            f"backup, or set {master.ENV}, {master.FILE} or {master.COMMAND}"
        )


def configured() -> tuple[str, bytes]:
    """``(kek_id, kek)`` of the configured master key (``crypto.master``)."""
    global _kek
    if _kek is None:
        source = master.configured_source()
        if source.kind == "generated":
            if settings.PRODUCTION:
                raise ConfigurationError(
                    "CRM_ENV=production requires the master key from CRM_MASTER_KEY, "
                    "CRM_MASTER_KEY_FILE or CRM_MASTER_KEY_COMMAND"
                )
            if not Path(source.value).exists():
                _missing_generated_key(source)
        raw = master.read(source, create=True)
        _kek = (kek_id_of(raw), raw, source)
    return _kek[0], _kek[1]


def configured_source():
    """Where the configured master key came from (``crypto.master.Source``)."""
    configured()
    # A test may have set ``_kek`` to a bare (id, key) pair.
    return _kek[2] if len(_kek) > 2 else master.configured_source()


def _rotation_now():
    """``(Rotation, new key)`` while a master-key rotation is under way, else
    ``(None, None)``; the state file is looked at once per
    ``master.ROTATION_RECHECK_SECONDS`` (one ``stat``)."""
    global _rotation, _rotation_read_at, _kek
    now = time.monotonic()
    if _rotation is not _UNSEEN and now - _rotation_read_at < master.ROTATION_RECHECK_SECONDS:
        return _rotation[1], _rotation[2]
    stamp = master.state_stamp()
    if _rotation is _UNSEEN or stamp != _rotation[0]:
        if _rotation is not _UNSEEN:
            # The rotation began or ended: the embedded default's file may
            # have been replaced by the new key, so read the source again.
            _kek = None
        state = master.read_state() if stamp is not None else None
        raw = None
        if state is not None and state.new_id == configured()[0]:
            raw = configured()[1]  # switched over (or the new file took its place)
        elif state is not None:
            raw = master.read(state.new_source)
            if kek_id_of(raw) != state.new_id:
                raise ConfigurationError(
                    f"a master-key rotation expects the new key {state.new_id} from "
                    f"{state.new_source.describe()}, but that source gives {kek_id_of(raw)}"
                )
        _rotation = (stamp, state, raw)
    _rotation_read_at = now
    return _rotation[1], _rotation[2]


def rotation():
    """The master-key rotation under way (``crypto.master.Rotation``) or None."""
    return _rotation_now()[0]


def kek() -> tuple[str, bytes]:
    """``(kek_id, kek)`` new data keys are wrapped under: the configured
    master key, or the new one while a master-key rotation is under way."""
    state, raw = _rotation_now()
    kek_id, kek_raw = configured()
    if state is not None and state.new_id != kek_id:
        return state.new_id, raw
    return kek_id, kek_raw


def accepted() -> dict[str, bytes]:
    """Every master key that may unwrap: the configured one and, during a
    rotation, the new one too (by id)."""
    kek_id, kek_raw = configured()
    keys = {kek_id: kek_raw}
    state, raw = _rotation_now()
    if state is not None:
        keys.setdefault(state.new_id, raw)
    return keys


def master_key_is_generated() -> bool:
    """True when the KEK lives in the data dir (fine for a demo, not for production)."""
    return master.configured_source().kind == "generated"


def reset_cache() -> None:
    """Forget unwrapped keys (tests, and after a restore or rotation in another process)."""
    global _kek, _generation, _generation_read_at, _rotation, _rotation_read_at
    with _lock:
        _kek = None
        _rotation = _UNSEEN
        _rotation_read_at = float("-inf")
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
    keys = accepted()
    kek_raw = keys.get(row.kek_id)
    if kek_raw is None:
        kek_id, _raw = configured()
        raise KeyUnavailable(
            f"data key {row.key_id} is wrapped under master key {row.kek_id}, "
            f"the configured key is {kek_id} ({configured_source().describe()})"
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


def foreign_kek_counts() -> dict[str, int]:
    """``{master key id: live data keys}`` for keys wrapped under a master key
    no process here accepts (one grouped query: cheap enough for /readyz)."""
    from django.db.models import Count

    from terabox_crm.crypto.models import DataKey

    rows = (
        DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
        .exclude(kek_id__in=list(accepted()))
        .values("kek_id")
        .annotate(n=Count("key_id"))
    )
    return {row["kek_id"]: row["n"] for row in rows}


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


def rewrap_batch(
    new_id: str, *, after: str = "", batch_size: int = 1000
) -> tuple[int, list[str], str]:
    """Re-wrap up to ``batch_size`` live data keys not yet under master key
    ``new_id`` (a master-key rotation, ``crypto.master``), in key-id order
    after ``after``, in one transaction. Returns ``(re-wrapped, key ids left
    because no accepted master key unwraps them, last key id looked at)``;
    the last id is ``""`` when nothing was left to look at.

    The raw data keys do not change, so nothing encrypted with them changes
    and the per-process caches stay valid. Each row is rewritten only if it
    still names the master key it was read under and is not destroyed (a
    crypto-shredding meanwhile wins; its key is never brought back).
    """
    from terabox_crm.crypto.models import DataKey

    keys = accepted()
    new_raw = keys.get(new_id)
    if new_raw is None:
        raise KeyUnavailable(f"the new master key {new_id} is not available to this process")
    done, unreadable, last = 0, [], ""
    with transaction.atomic():
        rows = list(
            DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
            .exclude(kek_id=new_id)
            .filter(key_id__gt=after)
            .order_by("key_id")
            .values_list("key_id", "kek_id", "wrapped")[:batch_size]
        )
        for key_id, kek_id, wrapped in rows:
            last = key_id
            old_raw = keys.get(kek_id)
            if old_raw is None or wrapped is None:
                unreadable.append(key_id)
                continue
            raw = aes_key_unwrap(old_raw, bytes(wrapped))
            done += (
                DataKey.objects.filter(key_id=key_id, kek_id=kek_id)
                .exclude(status=DataKey.Status.DESTROYED)
                .update(wrapped=aes_key_wrap(new_raw, raw), kek_id=new_id)
            )
    return done, unreadable, last


def count_not_under(kek_id: str) -> int:
    """Live data keys not (yet) wrapped under master key ``kek_id``."""
    from terabox_crm.crypto.models import DataKey

    return DataKey.objects.exclude(status=DataKey.Status.DESTROYED).exclude(kek_id=kek_id).count()
