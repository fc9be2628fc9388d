"""Jobs of the policies app: thin, no arguments, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.context import system_context
from terabox_crm.policies import notices


@db_periodic_task(crontab(minute="7"))
def send_due_policy_notices() -> int:
    """Hourly: the notice of every policy version whose notice is due (P10)."""
    with system_context("job"):
        return notices.dispatch_due()


@db_periodic_task(crontab(minute="27", hour="4"))
def prune_policy_notice_recipients() -> int:
    """Daily: forget who was told of versions now in effect (P10)."""
    with system_context("job"):
        return notices.prune_recipients()
