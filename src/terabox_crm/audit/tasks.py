"""Jobs of the audit app: thin, calling services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.audit import checkpoints
from terabox_crm.context import system_context


@db_periodic_task(crontab(minute="0"))
def checkpoint_chains_hourly() -> int:
    """Sign a checkpoint for every chain that grew in the last hour (S5)."""
    with system_context("job"):
        return checkpoints.checkpoint_stale_chains()
