"""Webhook fan-out of a bulk change (SPEC §2, P3, P4): one object at a time
beside one transaction's events together.

    .venv/bin/python bench/run.py --phase webhooks                  # 1,000 per case
    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --phase webhooks
    .venv/bin/python bench/run.py --phase webhooks --smoke          # 200 per case (CI)

Seeds a workspace of ``5 × batch`` contacts (the bulk seeder's rows) with a
second member, and measures on disjoint slices of ``batch`` contacts (the
most a bulk action takes, ``lists.anatomy.BULK_LIMIT``), the process in
autocommit as a request or a job is:

1. **the bulk change, no endpoint** — the contacts list's "change owner" on
   ``batch`` contacts (``contacts.services.contact_bulk``, as the list's
   POST runs it): what every workspace without a webhook pays;
2. **the fan-out, one object at a time** — ``fanout.emit`` once per
   contact, as every event was queued before the bus delivered a
   transaction's events together: an endpoint query, a gate check per
   purpose, an INSERT and a provision record per contact;
3. **the fan-out, together** — ``fanout.emit_many`` over the next slice:
   what the bus's subscriber now does after a bulk change commits;
4. **the bulk change with the endpoints** — (1) again on another slice,
   with the fan-out after its commit: the whole cost a member waits for.

Two endpoints are subscribed to ``contact.updated`` for (2)–(4), one of
them a third party (a provision record, P4); both serve the support
purpose, so every contact passes the gate (each one is still checked). The
jobs go to the real queue (the data dir's SQLite file, or Redis with
``REDIS_URL``), where no worker takes them: queueing them is in the times,
sending them is not (it is the receiver's cost, the same either way). Case
(2) queues a job per delivery, as before; (3) and (4) queue one job that
queues the deliveries in the worker (``tasks.queue_webhook_deliveries``).

Reported per case: seconds, SQL statements, deliveries written, jobs
queued; and the speed-up of (3) over (2). Timings are never asserted.
"""

from __future__ import annotations

import time
from unittest import mock


def _member(workspace, role: str):
    from django_scopes import scopes_disabled

    from terabox_crm.accounts.models import User
    from terabox_crm.core.models import Membership

    with scopes_disabled():
        user = User.objects.create_user(
            f"{role}-{workspace.slug}@bench.example", "bench passphrase long"
        )
        return Membership.objects.create(workspace=workspace, user=user, role=role)


def _timed(work) -> dict:
    """Seconds and SQL statements of ``work()`` (every statement sent, counted
    by a wrapper: Django's query log keeps 9,000 at most)."""
    from django.db import connection

    sent = 0

    def count(execute, sql, params, many, context):
        nonlocal sent
        sent += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 3), "statements": sent, "result": result}


def _each(enqueue):
    def enqueue_each(delivery_ids: list[str]) -> None:
        for delivery_id in delivery_ids:
            enqueue(delivery_id)

    return enqueue_each


def _pending(huey) -> int:
    """The jobs a case queued (the queue emptied for the next one)."""
    count = huey.pending_count()
    huey.flush()
    return count


def webhooks_phase(batch: int) -> dict:
    from django.conf import settings
    from django_scopes import scope, scopes_disabled

    from bench.run import make_workspace, plain_reference_table, seed_contacts
    from terabox_crm.contacts import services as contacts
    from terabox_crm.contacts.models import Contact
    from terabox_crm.core.models import Membership
    from terabox_crm.core.roles import Role
    from terabox_crm.webhooks import fanout, services
    from terabox_crm.webhooks.models import Delivery

    plain_reference_table()  # the seeder writes its reference rows too
    workspace, owner = make_workspace("Bench webhooks")
    seeded = seed_contacts(workspace, owner, 5 * batch)
    manager = _member(workspace, Role.MANAGER)
    with scopes_disabled():
        ids = list(
            Contact.objects.filter(workspace=workspace).order_by("pk").values_list("pk", flat=True)
        )
        admin = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
    slices = [ids[n * batch : (n + 1) * batch] for n in range(5)]

    def bulk_owner(chosen) -> int:
        with scope(workspace=workspace):
            return contacts.contact_bulk(
                membership=admin,
                ids=[str(pk) for pk in chosen],
                action="owner",
                value=str(manager.user_id),
            )

    def deliveries() -> int:
        with scopes_disabled():
            return Delivery.objects.filter(workspace=workspace).count()

    from huey.contrib.djhuey import HUEY

    report: dict = {"contacts": len(ids), "batch": batch, "seed": seeded}
    report["bulk_change_without_endpoint"] = _timed(lambda: bulk_owner(slices[0]))
    previous = settings.WEBHOOK_ALLOW_PRIVATE
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver's address is never called
    try:
        for third_party in (False, True):
            services.endpoint_create(
                membership=admin,
                url="http://127.0.0.1:9/bench-hook",
                event_names=["contact.updated"],
                purpose="support",
                third_party=third_party,
                recipient="Bench partner" if third_party else "",
            )
    finally:
        settings.WEBHOOK_ALLOW_PRIVATE = previous
    fanout.subscribed_events(workspace.pk)  # the cache warm, as in a live process

    def one_at_a_time(chosen) -> int:
        """As before: each contact's event on its own, each delivery its own job."""
        with mock.patch.object(fanout, "enqueue_many", _each(fanout.enqueue)):
            return sum(
                fanout.emit("contact.updated", workspace_id=workspace.pk, object_id=pk)
                for pk in chosen
            )

    # The jobs go to the real queue (the data dir's SQLite file, or Redis
    # with REDIS_URL), where no worker takes them; emptied afterwards.
    immediate, HUEY.immediate = HUEY.immediate, False
    HUEY.flush()
    try:
        report["fan_out_one_at_a_time"] = _timed(lambda: one_at_a_time(slices[1]))
        report["fan_out_one_at_a_time"]["jobs"] = _pending(HUEY)
        report["fan_out_together"] = _timed(
            lambda: fanout.emit_many(
                "contact.updated", workspace_id=workspace.pk, object_ids=slices[2]
            )
        )
        report["fan_out_together"]["jobs"] = _pending(HUEY)
        before = deliveries()
        report["bulk_change_with_endpoints"] = _timed(lambda: bulk_owner(slices[3]))
        report["bulk_change_with_endpoints"]["deliveries"] = deliveries() - before
        report["bulk_change_with_endpoints"]["jobs"] = _pending(HUEY)
    finally:
        HUEY.flush()
        HUEY.immediate = immediate
    for case in ("fan_out_one_at_a_time", "fan_out_together"):
        report[case]["deliveries"] = report[case].pop("result")
    for case in ("bulk_change_without_endpoint", "bulk_change_with_endpoints"):
        report[case]["changed"] = report[case].pop("result")
    report["together_speedup"] = round(
        report["fan_out_one_at_a_time"]["seconds"] / report["fan_out_together"]["seconds"], 1
    )
    report["all_delivered"] = (
        report["fan_out_one_at_a_time"]["deliveries"]
        == report["fan_out_together"]["deliveries"]
        == report["bulk_change_with_endpoints"]["deliveries"]
        == 2 * batch
    )
    return report
