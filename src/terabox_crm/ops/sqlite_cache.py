"""A Django cache in a SQLite file of its own, shared by every process of one
machine: the default cache when ``REDIS_URL`` is not set (S7, S12).

``serve`` runs several web processes and a job worker. Django's local-memory
cache would give each its own sign-in counters and lockouts (S7): an attacker
would get one allowance per process, and a lockout would hold on some
requests and not on others. Here every process reads and writes the same
entries in ``<data dir>/cache.sqlite3``:

* a file apart from the main database, so a cache write never waits for (or
  holds) the main database's single write lock;
* ``add`` and ``incr`` are single statements (an upsert guarded by the
  expiry; ``UPDATE … RETURNING``), atomic across processes — Django's
  ``BaseCache.incr`` is a get and a set, which loses counts under concurrency;
* entries past their expiry are never returned, and are deleted now and then;
* values are integers as such (so ``incr`` works in SQL) and anything else
  pickled, as Django's own database and file caches do. The file is created
  mode 0600 and only this backend writes it.

Redis stays the answer for several machines (``REDIS_URL``).
"""

from __future__ import annotations

import json
import os
import pickle  # nosec B403  # only this backend writes the 0600 file it reads (as Django's file cache)
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache_entry ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL) WITHOUT ROWID"
)
CULL_EVERY = 256  # writes of one connection between two sweeps of expired entries


# Connections a forked child found in its parent's thread-local: kept, unused.
_CARRIED_ACROSS_FORK: list[sqlite3.Connection] = []


class SQLiteCache(BaseCache):
    """``LOCATION`` is the file; ``OPTIONS``: ``MAX_ENTRIES``, ``CULL_FREQUENCY``
    (as Django's caches) and ``BUSY_TIMEOUT`` (seconds to wait for another
    process's write, default 5)."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)
        self.path = Path(location)
        options = params.get("OPTIONS", {})
        self.busy_timeout = float(options.get("BUSY_TIMEOUT", 5))
        self._local = threading.local()

    # --- connection ---------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            inherited = getattr(local, "connection", None)
            if inherited is not None:
                # Never close a connection carried across fork(): closing its
                # file would drop every POSIX lock this process holds on the
                # database, the new connection's too, and concurrent writes
                # would be lost (sqlite.org/howtocorrupt.html §2.2, §2.6).
                # Keeping a reference keeps CPython from closing it.
                _CARRIED_ACROSS_FORK.append(inherited)
            local.connection = self._open()
            local.pid = os.getpid()
            local.writes = 0
        return local.connection

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            # Created private before SQLite opens it; its -wal and -shm files
            # take the same mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=True
        )
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                # Switching to WAL takes a moment's exclusive lock that SQLite
                # does not always wait for: several processes start at once.
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(SCHEMA)
                break
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _wrote(self) -> None:
        local = self._local
        local.writes += 1
        if local.writes % CULL_EVERY == 0:
            self._cull()

    def _cull(self) -> None:
        db = self._db()
        db.execute("DELETE FROM cache_entry WHERE expires <= ?", (time.time(),))
        (count,) = db.execute("SELECT count(*) FROM cache_entry").fetchone()
        if count > self._max_entries:
            # Still too many live entries: drop the soonest to expire first.
            db.execute(
                "DELETE FROM cache_entry WHERE key IN (SELECT key FROM cache_entry "
                "ORDER BY expires IS NULL, expires LIMIT ?)",
                (max(1, count // self._cull_frequency),),
            )

    def _fetch(self, sql: str, *params) -> list[tuple]:
        """Run ``sql`` (which ends with the expiry test) with the current time as its
        last parameter, and read every row: a statement not read to its end would
        keep its transaction, and a write's lock, open."""
        return self._db().execute(sql, (*params, time.time())).fetchall()

    # --- values -------------------------------------------------------------------------

    @staticmethod
    def _dump(value) -> int | bytes:
        if type(value) is int:  # not bool: it must come back as it went in
            return value
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def _load(stored):
        if isinstance(stored, int):
            return stored
        # Our own 0600 file, written only by _dump above.
        return pickle.loads(stored)  # noqa: S301  # nosec B301  # written only by _dump

    # --- the cache API ------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute(
            "INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE cache_entry.expires IS NOT NULL AND cache_entry.expires <= ?",
            (key, self._dump(value), self.get_backend_timeout(timeout), time.time()),
        )
        self._wrote()
        return cursor.rowcount == 1

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        rows = self._fetch(
            "SELECT value FROM cache_entry WHERE key = ? AND (expires IS NULL OR expires > ?)", key
        )
        return self._load(rows[0][0]) if rows else default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._db().execute(
            "INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, self._dump(value), self.get_backend_timeout(timeout)),
        )
        self._wrote()

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute(
            "UPDATE cache_entry SET expires = ? WHERE key = ? AND (expires IS NULL OR expires > ?)",
            (self.get_backend_timeout(timeout), key, time.time()),
        )
        return cursor.rowcount == 1

    def delete(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute("DELETE FROM cache_entry WHERE key = ?", (key,))
        return cursor.rowcount == 1

    def has_key(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(
            self._fetch(
                "SELECT 1 FROM cache_entry WHERE key = ? AND (expires IS NULL OR expires > ?)", key
            )
        )

    def incr(self, key, delta=1, version=None) -> int:
        """Add ``delta`` in one statement: concurrent processes never lose a count."""
        made = self.make_and_validate_key(key, version=version)
        rows = self._fetch(
            "UPDATE cache_entry SET value = value + ? WHERE key = ? "
            "AND typeof(value) = 'integer' AND (expires IS NULL OR expires > ?) RETURNING value",
            delta,
            made,
        )
        if rows:
            return rows[0][0]
        if self.has_key(key, version=version):
            raise TypeError(f"the value of cache key {key!r} is not an integer")
        raise ValueError(f"Key '{key}' not found")

    def get_many(self, keys, version=None) -> dict:
        made = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not made:
            return {}
        rows = self._fetch(
            "SELECT key, value FROM cache_entry "
            "WHERE key IN (SELECT value FROM json_each(?)) AND (expires IS NULL OR expires > ?)",
            json.dumps(list(made)),
        )
        return {made[stored]: self._load(value) for stored, value in rows}

    def delete_many(self, keys, version=None) -> None:
        for key in keys:
            self.delete(key, version=version)

    def clear(self) -> None:
        self._db().execute("DELETE FROM cache_entry")

    def close(self, **kwargs) -> None:
        """Kept open between requests: one connection per thread, reused."""
