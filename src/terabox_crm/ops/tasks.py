"""Jobs of the ops app: thin, calling its maintenance functions."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.ops import maintenance


@db_periodic_task(crontab(minute="23"))
def refresh_planner_statistics() -> bool:
    """Keep the query planner informed as the data grows (hourly; SQLite, and
    PostgreSQL with autovacuum off)."""
    return maintenance.refresh_statistics()
