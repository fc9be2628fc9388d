"""Jobs of the webhooks app: ids in, ``delivery`` called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.webhooks import delivery


@db_task(retries=0)
def deliver_webhook(delivery_id: str) -> bool:
    with system_context("job"):
        return delivery.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_webhooks() -> int:
    """One job per due delivery, so a slow receiver does not hold up the others."""
    with system_context("job"):
        due = delivery.due_ids()
    for delivery_id in due:
        deliver_webhook(delivery_id)
    return len(due)
