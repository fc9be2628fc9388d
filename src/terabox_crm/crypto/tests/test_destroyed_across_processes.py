"""A destroyed key stops decrypting in every process (P8 crypto-shredding, P5
shredding), not only in the one that destroyed it: the destruction
generation in the shared cache (the SQLite cache file, or Redis), read by
each process on use at most every ``GENERATION_RECHECK_SECONDS``.

Two processes are two cache clients on the same shared cache: the one that
destroys announces through its own client, the other reads through the
configured default cache, as a second web worker would.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache.backends.redis import RedisCache
from django_scopes import scope

from terabox_crm.crypto import fields, keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.ops.sqlite_cache import SQLiteCache

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/15"


def _redis_reachable() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception:  # any failure to reach it: nothing to test against
        return False
    return True


@pytest.fixture(params=["sqlite", "redis"])
def shared(request, settings, tmp_path):
    """``(settings for this process, a client of another process)`` on one cache."""
    if request.param == "sqlite":
        location = str(tmp_path / "shared-cache.sqlite3")
        settings.CACHES = {
            "default": {
                "BACKEND": "terabox_crm.ops.sqlite_cache.SQLiteCache",
                "LOCATION": location,
            }
        }
        other = SQLiteCache(location, {})
    else:
        if not _redis_reachable():
            pytest.skip("Redis is not reachable on 127.0.0.1:6379")
        prefix = f"tbx-test-{uuid.uuid4().hex}"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": prefix,
            }
        }
        other = RedisCache(REDIS, {"KEY_PREFIX": prefix})
    keyring.reset_cache()
    yield other
    keyring.reset_cache()
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def _sealed(subject_scope: str) -> str:
    return fields.encrypt("山田花子", scope=subject_scope, table="t", column="c", row_id="1")


def _open(token: str, subject_scope: str) -> str:
    return fields.decrypt(token, scope=subject_scope, table="t", column="c", row_id="1")


def _as_other_process(monkeypatch, other, work) -> None:
    """Run ``work`` as the process that destroys: its own shared-cache client,
    and nothing it does to this process's key cache kept."""
    held = dict(keyring._cache), dict(keyring._active), dict(keyring._active_read_at)
    with monkeypatch.context() as patch:
        patch.setattr(keyring, "_shared_cache", lambda: other)
        work()
    keyring._cache.update(held[0])
    keyring._active.update(held[1])
    keyring._active_read_at.update(held[2])


def test_a_key_destroyed_in_another_process_stops_decrypting_here(shared, monkeypatch):
    subject = f"subject:{uuid.uuid4()}"
    token = _sealed(subject)
    assert _open(token, subject) == "山田花子"  # unwrapped and cached in this process
    [key_id] = DataKey.objects.filter(scope=subject).values_list("key_id", flat=True)
    assert key_id in keyring._cache

    _as_other_process(monkeypatch, shared, lambda: keyring.destroy_scope(subject))
    assert key_id in keyring._cache  # still held here, as before the fix
    monkeypatch.setattr(keyring, "GENERATION_RECHECK_SECONDS", 0.0)
    with pytest.raises(fields.DecryptionError):
        _open(token, subject)
    assert key_id not in keyring._cache


def test_other_keys_stay_cached_and_usable(shared, monkeypatch):
    kept, shredded = f"subject:{uuid.uuid4()}", f"subject:{uuid.uuid4()}"
    kept_token, shredded_token = _sealed(kept), _sealed(shredded)
    assert _open(kept_token, kept) == _open(shredded_token, shredded) == "山田花子"
    _as_other_process(monkeypatch, shared, lambda: keyring.destroy_scope(shredded))
    monkeypatch.setattr(keyring, "GENERATION_RECHECK_SECONDS", 0.0)
    assert _open(kept_token, kept) == "山田花子"
    [kept_id] = DataKey.objects.filter(scope=kept).values_list("key_id", flat=True)
    assert kept_id in keyring._cache


def test_an_erasure_announces_the_destroyed_subject_key(shared, cast, tmp_path):
    from terabox_crm.audit.chain import subject_scope
    from terabox_crm.erasure import ledger, services
    from terabox_crm.erasure.tests import world

    person = world.make_person(cast)
    before = shared.get(keyring.GENERATION_CACHE_KEY)
    ledger.use_path(tmp_path / "erasure-ledger.jsonl")
    try:
        with scope(workspace=cast.acme):
            services.subject_erase(
                membership=person.officer, subject_id=person.contact.pk, reason="x"
            )
    finally:
        ledger.use_path(None)
    after = shared.get(keyring.GENERATION_CACHE_KEY)  # read by the other process's client
    assert after is not None and after != before
    assert (
        not DataKey.objects.filter(scope=subject_scope(person.contact.pk))
        .exclude(status=DataKey.Status.DESTROYED)
        .exists()
    )


def test_the_check_reads_the_shared_cache_at_most_once_per_interval(shared, monkeypatch):
    subject = f"subject:{uuid.uuid4()}"
    token = _sealed(subject)
    _open(token, subject)
    reads = []
    real = keyring._shared_cache

    class Counting:
        def get(self, *args, **kwargs):
            reads.append(args[0])
            return real().get(*args, **kwargs)

    monkeypatch.setattr(keyring, "_shared_cache", Counting)
    monkeypatch.setattr(keyring, "GENERATION_RECHECK_SECONDS", 3600.0)
    keyring._generation_read_at = float("-inf")
    for _ in range(1_000):
        assert _open(token, subject) == "山田花子"
    assert reads == [keyring.GENERATION_CACHE_KEY]
