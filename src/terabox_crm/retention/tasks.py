"""Jobs of the retention engine: thin, calling the engine."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from terabox_crm.context import system_context
from terabox_crm.retention import engine


@db_periodic_task(crontab(minute="30", hour="3"))
@lock_task("retention-run")
def apply_retention_daily() -> int:
    """Apply every enabled retention rule (P5); resumes an unfinished run."""
    with system_context("job"):
        return engine.run(trigger="job").rows_total
