"""Database housekeeping the product does for itself.

SQLite keeps no planner statistics unless told: without them its planner
guesses, and at a few hundred thousand contacts a guess can turn a lookup of
one contact's emails into a walk over the whole workspace.
``refresh_statistics`` runs a bounded ``ANALYZE`` there (sampling at most
``ANALYSIS_LIMIT`` rows per index, so it takes a moment even on a large
file); the job runs it hourly.

PostgreSQL keeps its statistics up to date itself — through autovacuum's
ANALYZE, which is on by default. A server where an operator turned it off
(``autovacuum = off``) never gathers them: every table looks empty to the
planner, and at a million contacts a batch of 500 ids read by ``IN
(SELECT unnest(…))`` becomes a hash join over the whole table (2.4 s where
the index takes milliseconds; docs/performance.md). There the job runs
``ANALYZE`` itself (sampled: seconds at a million contacts) and logs that
autovacuum is off, since nothing else reclaims dead rows on such a server
(docs/operations.md).
"""

from __future__ import annotations

import logging

from django.db import connection

ANALYSIS_LIMIT = 2000

log = logging.getLogger("terabox_crm.maintenance")


def autovacuum_is_off() -> bool:
    """True on a PostgreSQL server whose autovacuum is turned off."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "off"


def refresh_statistics() -> bool:
    """Refresh the planner's statistics where nothing else does: always on
    SQLite, on PostgreSQL only when autovacuum is off. True if it ran."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
        return True
    if not autovacuum_is_off():
        return False
    log.warning(
        "PostgreSQL's autovacuum is off: planner statistics are refreshed by this job, "
        "but dead rows are never reclaimed; turn autovacuum on (docs/operations.md)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
