"""Jobs of the communications app: thin, ids in, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.communications import outbox
from terabox_crm.context import system_context


@db_task(retries=0)
def deliver_email(email_id: str) -> bool:
    with system_context("job"):
        return outbox.deliver(email_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_emails() -> int:
    with system_context("job"):
        return outbox.deliver_due()
