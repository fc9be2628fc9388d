"""The daily backup job (S11): thin, calling the services."""

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from terabox_crm.backups import services
from terabox_crm.context import system_context

log = logging.getLogger(__name__)


def _schedule():
    if settings.BACKUP_HOUR == "off":
        return lambda _now: False
    return crontab(minute="10", hour=settings.BACKUP_HOUR)


def daily_backup() -> str:
    """Take today's backup, then keep ``CRM_BACKUP_KEEP_DAILY`` daily and
    ``CRM_BACKUP_KEEP_WEEKLY`` weekly archives (7 and 4 by default). A failed
    backup prunes nothing; it is recorded as evidence, which the security
    report shows."""
    with system_context("job"):
        try:
            created = services.create(trigger="job")
        except Exception:
            log.exception("backups: the daily backup failed")
            return ""
        removed = services.prune()
        log.info("backups: %s written, %d old archive(s) removed", created.path.name, len(removed))
        return created.path.name


run_daily_backup = db_periodic_task(_schedule())(daily_backup)
