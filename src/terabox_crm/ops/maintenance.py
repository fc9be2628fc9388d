"""Database housekeeping the product does for itself.

PostgreSQL keeps its query planner's statistics up to date (autovacuum's
ANALYZE). SQLite keeps none unless told: without them its planner guesses,
and at a few hundred thousand contacts a guess can turn a lookup of one
contact's emails into a walk over the whole workspace. ``refresh_statistics``
runs a bounded ``ANALYZE`` (sampling at most ``ANALYSIS_LIMIT`` rows per
index, so it takes a moment even on a large file); the job runs it hourly.
"""

from __future__ import annotations

from django.db import connection

ANALYSIS_LIMIT = 2000


def refresh_statistics() -> bool:
    """Refresh SQLite's planner statistics; True if it ran (False elsewhere)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
