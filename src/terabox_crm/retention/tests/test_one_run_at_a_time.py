"""One retention run at a time, across processes (P5): the daily job and
``terabox-crm retention run`` never apply the rules together.

The run in progress is a real second thread with its own database
connection, paused between two batches (its lease is live, no transaction
open); the job and the command are tried meanwhile on the same database.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.ops import retention as cli
from terabox_crm.retention import engine, services
from terabox_crm.retention.models import RetentionRun
from terabox_crm.retention.tasks import apply_retention_daily
from terabox_crm.retention.tests.support import old_lead

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def leads(cast):
    services.rule_set(
        membership=cast.owner_membership,
        target="contacts.inactive_leads",
        days=730,
        action="anonymise",
        enabled=True,
    )
    return [old_lead(cast.owner_membership, family=f"姓{i}") for i in range(25)]


class Paused:
    """A run in another thread, held after its first batch until released."""

    def __init__(self, workspace_id) -> None:
        self.after_first, self.release = threading.Event(), threading.Event()
        self.result: dict = {}
        self.thread = threading.Thread(target=self._run, args=(workspace_id,), daemon=True)

    def _pause(self, run) -> None:
        self.after_first.set()
        self.release.wait(60)

    def _run(self, workspace_id) -> None:
        try:
            self.result["run"] = engine.run(
                trigger="cli", workspace_ids=[workspace_id], batch_size=10, after_batch=self._pause
            )
        except BaseException as exc:  # reported to the test below
            self.result["error"] = exc
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.after_first.wait(60), self.result
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.thread.join(60)


def _anonymised() -> int:
    with scopes_disabled():
        return Contact.objects.filter(family_name="").count()


def test_the_daily_job_skips_while_the_command_runs_and_says_so(cast, leads, caplog):
    with Paused(cast.acme.pk) as first, caplog.at_level(logging.WARNING):
        assert apply_retention_daily.call_local() == 0
        assert _anonymised() == 10  # the job did nothing
        assert RetentionRun.objects.count() == 1
    assert "retention job skipped" in caplog.text and "is in progress" in caplog.text
    assert "error" not in first.result
    assert first.result["run"].state == RetentionRun.State.DONE
    assert first.result["run"].rows_total == 25
    assert _anonymised() == 25


def test_the_command_refuses_with_a_message_and_exit_3_while_a_run_is_in_progress(
    cast, leads, capsys
):
    with Paused(cast.acme.pk) as first:
        assert cli.main(["run"]) == 3
        err = capsys.readouterr().err
        assert "another run is in progress" in err and "nothing was done" in err
        assert _anonymised() == 10
    assert first.result["run"].rows_total == 25
    # Once it is over, the command runs (and finds nothing left).
    assert cli.main(["run"]) == 0
    assert RetentionRun.objects.filter(state=RetentionRun.State.DONE).count() == 2


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's test database is in memory with a shared cache, where a second "
    "writer fails at once instead of waiting its turn (a file database waits)",
)
def test_two_runs_started_at_once_apply_each_row_once(cast, leads):
    start = threading.Barrier(2)
    outcomes: list = []

    def go():
        start.wait(10)
        try:
            outcomes.append(engine.run(workspace_ids=[cast.acme.pk], batch_size=10).rows_total)
        except engine.RunInProgress:
            outcomes.append("in progress")
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Either one stood aside, or the second began after the first finished.
    assert sorted(outcomes, key=str) in ([0, 25], [25, "in progress"])
    assert _anonymised() == 25
    assert RetentionRun.objects.filter(state=RetentionRun.State.RUNNING).count() == 0


def test_a_lease_left_by_a_process_that_died_runs_out_and_the_run_resumes(cast, leads):
    def die(run):
        raise SystemExit  # as if killed: below, the lease it held is put back as it was

    with pytest.raises(SystemExit):
        engine.run(workspace_ids=[cast.acme.pk], batch_size=10, after_batch=die)
    dead = RetentionRun.objects.get()
    RetentionRun.objects.filter(pk=dead.pk).update(
        holder="elsewhere:4242:dead", lease_until=timezone.now() + timedelta(seconds=60)
    )
    with pytest.raises(engine.RunInProgress):
        engine.run(workspace_ids=[cast.acme.pk])

    RetentionRun.objects.filter(pk=dead.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    resumed = engine.run(workspace_ids=[cast.acme.pk])

    assert resumed.pk == dead.pk and resumed.state == RetentionRun.State.DONE
    assert resumed.rows_total == 25 and _anonymised() == 25


def test_a_run_whose_lease_was_taken_over_stops_before_its_next_batch(cast, leads):
    def taken_over(run):
        RetentionRun.objects.filter(pk=run.pk).update(holder="elsewhere:4242:new")

    with pytest.raises(engine.LeaseLost):
        engine.run(workspace_ids=[cast.acme.pk], batch_size=10, after_batch=taken_over)
    assert _anonymised() == 10  # its second batch rolled back with the lost lease
