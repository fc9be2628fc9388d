"""Jobs of the core app: thin, ids in, the service called (key rotation, S3;
the prefix search terms of a workspace)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.core import prefix_search, rotation
from terabox_crm.crypto.models import RotationJob


@db_task(retries=0)
def run_rotation(job_id: str, batch_size: int = rotation.DEFAULT_BATCH) -> str:
    """Continue a rotation job (started by ``rotation.start_rotation``) to its end.

    Resumable by construction: a worker restarted mid-way runs this again and
    the job continues after its last committed batch.
    """
    with system_context("job"):
        job = RotationJob.objects.get(pk=job_id)
        return rotation.run_rotation(job, batch_size=batch_size).state


@db_periodic_task(crontab(minute="*/10"))
def resume_stalled_rotations() -> int:
    """A worker that restarted mid-rotation lost its task: pick such jobs up."""
    with system_context("job"):
        return rotation.resume_stalled()


@db_task(retries=0)
def sync_name_prefixes(workspace_id: str) -> bool:
    """Build or delete a workspace's prefix terms to match its setting
    (``Workspace.name_prefix_search``); resumes after the last committed batch."""
    with system_context("job"):
        return prefix_search.sync_prefixes(workspace_id)


@db_periodic_task(crontab(minute="*/10"))
def resume_stalled_name_prefixes() -> int:
    """A worker that restarted mid-way lost the prefix job: pick it up."""
    with system_context("job"):
        return prefix_search.resume_stalled()
