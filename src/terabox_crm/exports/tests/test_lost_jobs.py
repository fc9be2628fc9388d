"""An export whose job was lost is taken up again (S4: a large export runs as
a job with a progress bar, and that bar must not stop for good).

The job queue does not run a job again once a worker took it: a worker
killed or restarted mid-count or mid-build left the export "counting" or
"being prepared" forever. Every five minutes ``resume_lost_exports`` finds
the active exports whose job gave no sign of life for ``LOST_AFTER`` and
queues their job again; a half-built file and its key are destroyed first,
and the retry counts as an attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.exports import services, tasks, writers
from terabox_crm.exports.models import BUILD_ATTEMPTS, Export
from terabox_crm.exports.tests.helpers import contact_in, file_rows, member_of, read_file

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=11)


def _asked(manager, monkeypatch) -> Export:
    """An export asked for whose job never ran (held back, as if lost)."""
    contact_in(manager, family="失われた", given="仕事")
    monkeypatch.setattr(services, "_enqueue", lambda item: None)
    item = services.export_request(
        membership=manager, resource="contacts", format="csv", purpose="support"
    )
    monkeypatch.undo()
    return item


def _set(item: Export, **values) -> None:
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(**values)


def _get(item: Export) -> Export:
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def _events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action))


def test_a_build_killed_midway_is_built_again_and_its_half_file_destroyed(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = _asked(manager, monkeypatch)
    services.export_count(item.pk)  # queued
    # The worker took the build and died: "being prepared", a partial file
    # and its key on disk, no progress for eleven minutes.
    half_key = keyring.create_key(writers.key_scope(item.pk), writers.KEY_PURPOSE)
    writers.path_of(item.pk).write_bytes(b"half a file")
    _set(item, status="running", attempts=1, progress=1, touched_at=timezone.now() - LONG_AGO)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_resume_lost() == 1

    done = _get(item)
    assert done.status == "ready" and done.attempts == 2 and done.rows == 1
    assert {"失われた", "仕事"} <= set(file_rows("csv", read_file(done))[1])
    with scopes_disabled():
        assert DataKey.objects.get(key_id=half_key.key_id).destroyed_at is not None
    [resumed] = _events("exports.export.resumed")
    assert resumed.payload == {"status": "running", "attempts": 1}


def test_a_count_whose_job_was_lost_is_counted_and_built(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = _asked(manager, monkeypatch)
    assert _get(item).status == "counting"
    _set(item, touched_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_resume_lost() == 1
    assert _get(item).status == "ready"


def test_an_export_whose_job_is_alive_or_waits_for_approval_is_left_alone(cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    busy = _asked(manager, monkeypatch)
    _set(busy, status="running", attempts=1, touched_at=timezone.now() - timedelta(minutes=2))
    waiting = _asked(manager, monkeypatch)
    _set(waiting, status="awaiting", touched_at=timezone.now() - timedelta(days=2))
    ready = _asked(manager, monkeypatch)
    _set(ready, status="ready", touched_at=timezone.now() - timedelta(days=2))

    assert services.exports_resume_lost() == 0
    assert [_get(x).status for x in (busy, waiting, ready)] == ["running", "awaiting", "ready"]
    assert _events("exports.export.resumed") == []


def test_a_build_lost_on_its_last_attempt_fails_and_says_so(cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    item = _asked(manager, monkeypatch)
    _set(item, status="running", attempts=BUILD_ATTEMPTS, touched_at=timezone.now() - LONG_AGO)
    assert services.exports_resume_lost() == 0
    failed = _get(item)
    assert failed.status == "failed" and failed.failure == "build_failed"
    assert failed.finished_at is not None and failed.failure_text
    [event] = _events("exports.export.failed")
    assert event.payload["failure"] == "build_failed"
    assert not writers.path_of(item.pk).exists()


def test_an_export_that_moved_while_the_sweep_looked_is_not_touched(cast, monkeypatch):
    """The sweep claims an export only as it saw it (status and last sign of
    life): a job that wrote its progress meanwhile is alive."""
    manager = member_of(cast.acme, cast.manager)
    item = _asked(manager, monkeypatch)
    old = timezone.now() - LONG_AGO
    _set(item, status="running", attempts=1, touched_at=old)
    real = Export.objects.filter

    def moved_meanwhile(*args, **kwargs):
        if kwargs.get("touched_at") == old:  # the claim: the job wrote first
            _set(item, touched_at=timezone.now())
        return real(*args, **kwargs)

    monkeypatch.setattr(Export.objects, "filter", moved_meanwhile)
    assert services.exports_resume_lost() == 0
    monkeypatch.undo()
    assert _get(item).status == "running" and _get(item).attempts == 1


def test_the_sweep_runs_every_five_minutes():
    schedule = tasks.resume_lost_exports.task_class().validate_datetime
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    assert [m for m in range(60) if schedule(start.replace(minute=m))] == list(range(0, 60, 5))
