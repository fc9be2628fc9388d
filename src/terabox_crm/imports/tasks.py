"""Jobs of imports: thin, ids in, services called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.imports import services


@db_task()
def run_import(import_id: str) -> bool:
    with system_context("job"):
        return services.import_run(import_id) is not None


@db_periodic_task(crontab(minute="*/5"))
def resume_lost_imports() -> int:
    """Every five minutes: imports whose job was lost (``services.imports_resume_lost``)."""
    with system_context("job"):
        return services.imports_resume_lost()


@db_periodic_task(crontab(minute="37"))
def expire_imports() -> int:
    with system_context("job"):
        return services.imports_expire()
