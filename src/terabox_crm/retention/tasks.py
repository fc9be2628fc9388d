"""Jobs of the retention engine: thin, calling the engine."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.context import system_context
from terabox_crm.retention import engine

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="30", hour="3"))
def apply_retention_daily() -> int:
    """Apply every enabled retention rule (P5); resumes an unfinished run.

    The engine's lease serialises it with ``terabox-crm retention run`` in
    another process: while that holds the run, this job is skipped (logged)
    and tomorrow's run, or the command, finishes the work.
    """
    with system_context("job"):
        try:
            return engine.run(trigger="job").rows_total
        except engine.RunInProgress as exc:
            log.warning("retention job skipped: %s", exc)
            return 0
