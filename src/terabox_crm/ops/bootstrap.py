"""Make a data dir usable by any command: Django set up, migrations applied.

Every CLI command works on a fresh data dir (``createowner`` before any
``serve``), so each calls ``prepare()`` first; it is cheap when there is
nothing to migrate.

Files the product creates (the SQLite databases, the job queue, mail kept
without SMTP, backups) are readable by the service user only: the umask is
set before anything is opened. Keys and TLS files are 0600 in 0700
directories regardless (``datadir.write_private_file``).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

PRIVATE_UMASK = 0o077


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
    import django

    leave_out_unused_clients()
    django.setup()


def leave_out_unused_clients() -> None:
    """Mark the PostgreSQL and Redis client libraries absent in a process
    whose configuration uses neither (the embedded default), before Django
    loads the apps. The job queue's storage module (``huey.storage``)
    imports both whenever they are installed: 11.7 MB of heap in every
    process (web workers, the job worker, an export's helpers), measured
    after ``django.setup()`` — 47.1 MB against 58.8 MB
    (docs/performance.md, Guarded export). Nothing of the product imports
    either client on the embedded default; a configured one stays
    importable."""
    from django.conf import settings

    if not any("postgresql" in database["ENGINE"] for database in settings.DATABASES.values()):
        sys.modules.setdefault("psycopg", None)
    if not settings.REDIS_URL:
        sys.modules.setdefault("redis", None)


def terminal_language() -> str:
    """The language of the terminal's messages: ``LC_ALL``/``LC_MESSAGES``/``LANG``
    starting with ``ja`` → Japanese, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


# The PostgreSQL advisory lock taken while migrating (any fixed number).
MIGRATE_LOCK = 0x7B1A_0001


@contextmanager
def one_migrator_at_a_time():
    """Processes started together on a database that needs migrating (after
    an upgrade: ``serve`` and a standalone ``worker``, or two commands) run
    ``migrate`` one after the other, and the second finds nothing left to
    do. Without it both planned the same migration and the second failed on
    it ("duplicate column"). SQLite: an exclusive ``flock`` on a file beside
    the database; PostgreSQL: a session advisory lock."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or not os.path.isabs(name):
        yield  # an in-memory database (tests) has one process
        return
    import fcntl

    with open(f"{name}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare(*, verbosity: int = 0) -> None:
    os.umask(PRIVATE_UMASK)
    setup_django()
    from django.core.management import call_command

    with one_migrator_at_a_time():
        call_command("migrate", interactive=False, verbosity=verbosity)
