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
  mode 0600 and only this backend writes it;
* no connection to the file stays open across ``fork()``: every one of the
  process's connections is closed just before it and reopened on next use,
  and one whose cache (or thread) is gone is closed at once, not whenever the
  garbage collector runs. A child forked while its parent had the file open
  would share SQLite's record of the parent's locks, not the locks, and could
  see its -wal deleted under it and its counts lost (S7).

Redis stays the answer for several machines (``REDIS_URL``).
"""

from __future__ import annotations

import json
import os
import pickle  # nosec B403  # only this backend writes the 0600 file it reads (as Django's file cache)
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache_entry ("
    " key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL) WITHOUT ROWID"
)
CULL_EVERY = 256  # writes of one connection between two sweeps of expired entries


# Connections a forked child found open in its parent's thread-local (a fork
# that ran no ``os.register_at_fork`` hooks): kept, unused.
_CARRIED_ACROSS_FORK: list[sqlite3.Connection] = []


class _Handle:
    """One thread's connection, and the lock it is used under (so that a fork
    can close it between two statements)."""

    __slots__ = ("__weakref__", "connection", "lock", "pid", "writes")

    def __init__(self) -> None:
        self.connection: sqlite3.Connection | None = None
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.writes = 0

    def close(self, _getpid=os.getpid) -> None:  # bound now: also runs at interpreter exit
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if self.pid == _getpid():
            connection.close()
        else:
            # Never close a connection carried across fork(): closing its
            # file would drop every POSIX lock this process holds on the
            # database, its new connections' too (sqlite.org/howtocorrupt.html
            # §2.2, §2.6). Keeping a reference keeps CPython from closing it.
            _CARRIED_ACROSS_FORK.append(connection)

    def __del__(self) -> None:
        # Closed as soon as its cache (or thread) is gone: Python 3.11's
        # sqlite3 connection is in a reference cycle with its statement cache
        # and would otherwise stay open until the cyclic garbage collector
        # runs, across any fork() made meanwhile.
        self.close()


# Every live handle of this process, for the fork hooks below; a handle is
# added under the lock, which a fork holds from its first hook to its last.
_HANDLES: weakref.WeakSet[_Handle] = weakref.WeakSet()
_HANDLES_LOCK = threading.Lock()
_HELD_OVER_FORK: list[_Handle] = []


def _close_all_before_fork() -> None:
    """No connection to a cache file may be open across fork() (S7).

    SQLite keeps each process's locks on a file in memory of its own; a child
    forked while the parent has the file open inherits that bookkeeping, so its
    new connections believe they share locks they never took (the shared lock
    on the database, the -shm "dead man's switch"). A process closing what it
    then takes for the file's last connection checkpoints and deletes the -wal
    and -shm under the children, and what they commit afterwards is lost
    (sqlite.org/howtocorrupt.html §2.6, sqlite.org/walformat.html). Each
    handle is closed under its lock, between two statements; the next use
    reopens it, in the parent as in the child. A thread in the middle of a
    statement delays the fork until it is done (at most ``BUSY_TIMEOUT``)."""
    _HANDLES_LOCK.acquire()
    for handle in list(_HANDLES):
        handle.lock.acquire()
        _HELD_OVER_FORK.append(handle)
        handle.close()


def _release_after_fork() -> None:
    while _HELD_OVER_FORK:
        _HELD_OVER_FORK.pop().lock.release()
    _HANDLES_LOCK.release()


os.register_at_fork(
    before=_close_all_before_fork,
    after_in_parent=_release_after_fork,
    after_in_child=_release_after_fork,
)


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

    def _handle(self) -> _Handle:
        """This thread's handle (a forked child makes its own)."""
        local = self._local
        handle = getattr(local, "handle", None)
        if handle is None or handle.pid != os.getpid():
            if handle is not None:
                handle.close()  # another process's: kept, never closed
            handle = local.handle = _Handle()
            with _HANDLES_LOCK:
                _HANDLES.add(handle)
        return handle

    @contextmanager
    def _db(self) -> Iterator[tuple[sqlite3.Connection, _Handle]]:
        """This thread's connection, held so that no fork() closes it mid-use."""
        handle = self._handle()
        with handle.lock:
            if handle.connection is None:
                handle.connection = self._open()
            yield handle.connection, handle

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            # Created private before SQLite opens it; its -wal and -shm files
            # take the same mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )  # used by one thread at a time, under its handle's lock (closed by a fork from any)
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

    def _run(self, sql: str, params: tuple, *, write: bool = False) -> tuple[list[tuple], int]:
        """Run ``sql`` and read every row (a statement not read to its end would keep
        its transaction, and a write's lock, open); the rows and the rows changed."""
        with self._db() as (db, handle):
            cursor = db.execute(sql, params)
            rows = cursor.fetchall()
            if write:
                handle.writes += 1
                if handle.writes % CULL_EVERY == 0:
                    self._cull(db)
            return rows, cursor.rowcount

    def _cull(self, db: sqlite3.Connection) -> None:
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
        last parameter, and read every row."""
        return self._run(sql, (*params, time.time()))[0]

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
        _, changed = self._run(
            "INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE cache_entry.expires IS NOT NULL AND cache_entry.expires <= ?",
            (key, self._dump(value), self.get_backend_timeout(timeout), time.time()),
            write=True,
        )
        return changed == 1

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        rows = self._fetch(
            "SELECT value FROM cache_entry WHERE key = ? AND (expires IS NULL OR expires > ?)", key
        )
        return self._load(rows[0][0]) if rows else default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._run(
            "INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, self._dump(value), self.get_backend_timeout(timeout)),
            write=True,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        _, changed = self._run(
            "UPDATE cache_entry SET expires = ? WHERE key = ? AND (expires IS NULL OR expires > ?)",
            (self.get_backend_timeout(timeout), key, time.time()),
        )
        return changed == 1

    def delete(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        _, changed = self._run("DELETE FROM cache_entry WHERE key = ?", (key,))
        return changed == 1

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
        self._run("DELETE FROM cache_entry", ())

    def close(self, **kwargs) -> None:
        """Kept open between requests: one connection per thread, reused."""
