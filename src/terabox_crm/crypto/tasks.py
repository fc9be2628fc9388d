"""Jobs of the crypto app: thin, ids in, the search-index service called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.crypto import search_index


@db_task(retries=0)
def sync_name_prefixes(workspace_id: str) -> bool:
    """Build or delete a workspace's prefix terms to match its setting
    (``Workspace.name_prefix_search``); resumes after the last committed batch."""
    with system_context("job"):
        return search_index.sync_prefixes(workspace_id)


@db_periodic_task(crontab(minute="*/10"))
def resume_stalled_name_prefixes() -> int:
    """A worker that restarted mid-way lost the prefix job: pick it up."""
    with system_context("job"):
        return search_index.resume_stalled()
