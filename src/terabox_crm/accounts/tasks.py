"""Jobs of the accounts app: thin, ids in, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.accounts import housekeeping, services
from terabox_crm.context import system_context


@db_periodic_task(crontab(minute="17"))
def purge_ended_sessions() -> int:
    with system_context("job"):
        return housekeeping.purge_ended_sessions()


@db_task(retries=2, retry_delay=30)
def send_password_reset(user_id: str) -> bool:
    with system_context("job"):
        return services.password_reset_link_send(user_id=user_id)
