"""Jobs of guarded exports: thin, ids in, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.exports import services
from terabox_crm.exports.models import BUILD_ATTEMPTS


@db_task(retries=BUILD_ATTEMPTS - 1, retry_delay=60, retry_backoff=2)
def build_export(export_id: str) -> bool:
    """An export's job: its count first while it is counting (which leaves
    it queued, waiting for approval, or failed), then its build if queued
    (after an approval, the build only). A failed build raises
    ``services.BuildRetry`` while attempts remain; the retry's count is then
    a no-op."""
    with system_context("job"), services.job_page_cache():
        services.export_count(export_id)
        return services.export_build(export_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def resume_lost_exports() -> int:
    """Every five minutes: exports whose job was lost are taken up again."""
    with system_context("job"):
        return services.exports_resume_lost()


@db_periodic_task(crontab(minute="23"))
def expire_exports() -> int:
    with system_context("job"):
        return services.exports_expire()
