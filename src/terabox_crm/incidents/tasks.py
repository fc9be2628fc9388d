"""Jobs of the incidents app: thin, a service called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.context import system_context
from terabox_crm.incidents import reminders


@db_periodic_task(crontab(minute="7"))
def remind_incident_clocks() -> int:
    with system_context("job"):
        return reminders.remind_all()
