"""Counters in Django's cache, shared by every process (S7).

The cache is whatever sign-in throttling uses (``accounts/throttle.py``,
decision 0004): Redis when ``REDIS_URL`` is set, otherwise the SQLite cache
file in the data dir that every process of the machine opens. A counter is
one key per fixed window (the window's index is in the key), so a window
never needs resetting and old ones expire on their own.

Each operation is O(1) and needs no read-modify-write:

* ``bump``: add ``n`` to a window's counter and return the total. On Redis it
  is one round trip (``SET … NX EX`` and ``INCRBY`` in a pipeline: a new key
  gets its lifetime, an existing one keeps it; any Redis version); on other
  caches ``incr``, or ``add`` for the first count of a window.
* ``first``: True for the first caller with a key in its lifetime (``add``) —
  used to count distinct things (accounts per address) and to raise each
  event once per window.

On Redis every operation goes through one ``redis.Redis`` client kept by the
``Counters`` of the cache (``default()``): Django's ``RedisCache`` builds a new
client for each call, which cost a request about as much CPU as the round
trip itself (docs/performance.md "Detection (S7)"). The client shares
Django's connection pool, which reconnects in a forked process. Keys are
made with ``make_key``, without ``validate_key``'s memcached character scan
(3 µs a key; these keys are this module's own, short and ASCII).
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


class Counters:
    def __init__(self, cache=None) -> None:
        self.cache = cache if cache is not None else caches["default"]
        self._redis = isinstance(self.cache, RedisCache)
        self._client = None

    def _redis_client(self):
        if self._client is None:
            self._client = self.cache._cache.get_client(write=True)
        return self._client

    def bump(self, key: str, n: int = 1, *, ttl: int) -> int:
        """Add ``n`` to ``key`` (created with lifetime ``ttl`` seconds); the new total."""
        if self._redis:
            made = self.cache.make_key(key)
            pipe = self._redis_client().pipeline(transaction=False)
            pipe.set(made, 0, ex=ttl, nx=True)  # a new key starts at 0 with its lifetime
            pipe.incrby(made, n)
            _created, total = pipe.execute()
            return int(total)
        try:
            return int(self.cache.incr(key, n))
        except ValueError:  # the window's first count (or its key just expired)
            if self.cache.add(key, n, ttl):
                return n
            return int(self.cache.incr(key, n))

    def bump_many(self, items: list[tuple[str, int, int]], *, get: str | None = None) -> list:
        """``bump`` each ``(key, n, ttl)``; with ``get``, also read that key.

        One round trip on Redis (a pipeline), whatever the number of keys:
        returns the totals in order, then the value of ``get`` if asked.
        """
        if not self._redis:
            out: list = [self.bump(key, n, ttl=ttl) for key, n, ttl in items]
            if get is not None:
                out.append(self.cache.get(get))
            return out
        pipe = self._redis_client().pipeline(transaction=False)
        for key, n, ttl in items:
            made = self.cache.make_key(key)
            pipe.set(made, 0, ex=ttl, nx=True)
            pipe.incrby(made, n)
        if get is not None:
            pipe.get(self.cache.make_key(get))
        results = pipe.execute()
        out = [int(total) for total in results[1 : 2 * len(items) : 2]]
        if get is not None:
            raw = results[-1]
            out.append(None if raw is None else self.cache._cache._serializer.loads(raw))
        return out

    def bump_sliding(self, name: str, *, moment: float, bucket: int, span: int) -> int:
        """Count one event at ``moment`` in a sliding window of ``span`` seconds.

        The window is split into buckets of ``bucket`` seconds (the sign-in
        throttle's scheme, decision 0004): one increment of the current
        bucket, one read of the others — one round trip on Redis. Returns the
        count over the last ``span`` seconds, to within one bucket.
        """
        index = int(moment // bucket)
        current = f"{name}:{index}"
        earlier = [f"{name}:{i}" for i in range(index - span // bucket + 1, index)]
        ttl = span + 2 * bucket
        if not self._redis:
            total = self.bump(current, ttl=ttl)
            return total + sum(int(v) for v in self.cache.get_many(earlier).values())
        pipe = self._redis_client().pipeline(transaction=False)
        made = self.cache.make_key(current)
        pipe.set(made, 0, ex=ttl, nx=True)
        pipe.incrby(made, 1)
        pipe.mget([self.cache.make_key(key) for key in earlier])
        _created, total, values = pipe.execute()
        return int(total) + sum(int(v) for v in values if v is not None)

    def first_many(self, keys: list[str], *, ttl: int) -> list[bool]:
        """``first`` for each key; one round trip on Redis."""
        if not self._redis:
            return [self.first(key, ttl=ttl) for key in keys]
        pipe = self._redis_client().pipeline(transaction=False)
        for key in keys:
            pipe.set(self.cache.make_key(key), 1, ex=ttl, nx=True)
        return [bool(done) for done in pipe.execute()]

    def first(self, key: str, *, ttl: int) -> bool:
        """True once per ``key`` while it lives (``ttl`` seconds), across processes."""
        return bool(self.cache.add(key, 1, ttl))

    def get(self, key: str, default=None):
        if not self._redis:
            return self.cache.get(key, default)
        raw = self._redis_client().get(self.cache.make_key(key))
        return default if raw is None else self.cache._cache._serializer.loads(raw)

    def get_many(self, keys: list[str]) -> dict:
        return self.cache.get_many(keys)

    def set(self, key: str, value, *, ttl: int) -> None:
        self.cache.set(key, value, ttl)

    def delete(self, key: str) -> None:
        self.cache.delete(key)


def default() -> Counters:
    """The counters of this thread's default cache, made once per cache object
    (``caches`` gives each thread its own; a settings change makes new ones)."""
    cache = caches["default"]
    store = getattr(cache, "_detection_counters", None)
    if store is None:
        store = cache._detection_counters = Counters(cache)
    return store
