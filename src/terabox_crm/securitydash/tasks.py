"""Jobs of the security dashboard: thin, the chain id in, a service called."""

from huey.contrib.djhuey import db_task

from terabox_crm.context import system_context
from terabox_crm.securitydash import alerts


@db_task(retries=2, retry_delay=60)
def send_digest(chain: str) -> int:
    with system_context("job"):
        return alerts.send_digest(chain)
