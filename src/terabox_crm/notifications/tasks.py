"""Jobs of the notifications app: the daily retention sweep."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.context import system_context
from terabox_crm.notifications import services


@db_periodic_task(crontab(hour="3", minute="40"))
def purge_expired_notifications() -> int:
    with system_context("job"):
        return services.notification_purge_expired()
