"""Jobs of the webhooks app: ids in, ``delivery`` called."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from terabox_crm.context import system_context
from terabox_crm.webhooks import delivery


@db_task(retries=0)
def deliver_webhook(delivery_id: str) -> bool:
    with system_context("job"):
        return delivery.deliver(delivery_id)


@db_task(retries=0)
def queue_webhook_deliveries(delivery_ids: list[str]) -> int:
    """A group's deliveries (a bulk change, an import batch), each queued here
    as a job of its own: the request that made them queued this one job."""
    for delivery_id in delivery_ids:
        deliver_webhook(delivery_id)
    return len(delivery_ids)


@db_periodic_task(crontab(minute="*"))
def deliver_due_webhooks() -> int:
    """One job per due delivery, so a slow receiver does not hold up the others."""
    with system_context("job"):
        due = delivery.due_ids()
    for delivery_id in due:
        deliver_webhook(delivery_id)
    return len(due)
