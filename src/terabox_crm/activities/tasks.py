"""Jobs of the activities app: thin, calling services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.activities import services
from terabox_crm.context import system_context


@db_periodic_task(crontab(minute="*"))
def send_task_reminders() -> int:
    with system_context("job"):
        return services.task_reminders_send()


@db_task()
def send_due_task_reminders() -> int:
    """Right after a task was saved with a reminder already due."""
    with system_context("job"):
        return services.task_reminders_send()
