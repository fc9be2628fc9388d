"""Jobs of the request engine: thin, ids in, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.dsr import services
from terabox_crm.dsr.models import EXPORT_ATTEMPTS


@db_task(retries=3, retry_delay=60)
def send_verification_link(submission_id: str) -> bool:
    with system_context("job"):
        return services.verification_link_send(submission_id)


@db_task(retries=3, retry_delay=60)
def route_submission(submission_id: str) -> int:
    with system_context("job"):
        return len(services.submission_route(submission_id))


@db_task(retries=EXPORT_ATTEMPTS - 1, retry_delay=60, retry_backoff=2)
def build_access_export(export_id: str) -> bool:
    """A failed build raises ``services.ExportRetry`` while attempts remain:
    the queue runs it again after 1, 2 and 4 minutes; the last failure marks
    the export failed (``services.export_build``)."""
    with system_context("job"):
        return services.export_build(export_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def resume_lost_access_exports() -> int:
    """Every five minutes: access exports whose job was lost are taken up again."""
    with system_context("job"):
        return services.exports_resume_lost()


@db_periodic_task(crontab(minute="17"))
def send_request_reminders() -> int:
    with system_context("job"):
        return services.reminders_send()


@db_periodic_task(crontab(minute="41"))
def expire_access_exports() -> int:
    with system_context("job"):
        return services.exports_expire()


@db_periodic_task(crontab(minute="53", hour="3"))
def prune_submissions() -> int:
    with system_context("job"):
        return services.submissions_prune()
