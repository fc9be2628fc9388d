"""An import whose job was lost does not poll forever (SPEC §2 imports: a
progress bar that ends).

The job queue does not run a job again once a worker took it: a worker
killed or restarted left the import queued or running for good. Every five
minutes ``resume_lost_imports`` finds the active imports whose job gave no
sign of life for ``LOST_AFTER``: a queued one (its job never started) is
queued again, and its claim keeps a late copy from running twice; a running
one (cut short mid-file) fails with ``interrupted`` — the rows it handled
stay, listed in its report — and its file is destroyed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.imports import services, storage, tasks
from terabox_crm.imports.models import Import
from terabox_crm.imports.tests.helpers import csv_bytes, member_of, upload
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=11)
HEAD = ["姓", "名", "メール"]


def _queued(manager, monkeypatch) -> Import:
    """An import started whose job never ran (held back, as if lost)."""
    item = upload(manager, csv_bytes([HEAD, ["失われた", "仕事", "lost@example.jp"]]))
    monkeypatch.setattr(services.tasks, "run_import", lambda import_id: None)
    services.import_start(membership=manager, import_id=item.pk, dry_run=False)
    monkeypatch.undo()
    return _get(item)


def _set(item: Import, **values) -> None:
    with scopes_disabled():
        Import.objects.filter(pk=item.pk).update(**values)


def _get(item: Import) -> Import:
    with scopes_disabled():
        return Import.objects.get(pk=item.pk)


def _events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action))


def test_an_import_whose_job_never_started_is_queued_again_and_runs(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = _queued(manager, monkeypatch)
    assert item.status == "queued" and item.touched_at is not None
    _set(item, touched_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_lost_imports.call_local() == 1
    done = _get(item)
    assert (done.status, done.created) == ("done", 1)
    assert _events("imports.import.resumed")[0].object_id == str(item.pk)
    # A late copy of the job finds nothing to do: the import was claimed once.
    assert services.import_run(item.pk) is None


def test_an_import_cut_short_fails_as_interrupted_and_its_file_goes(
    client, cast, monkeypatch, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = _queued(manager, monkeypatch)
    assert storage.path_of(item.pk).exists()
    # Its job claimed it, then its worker was killed.
    _set(item, status="running", touched_at=timezone.now() - LONG_AGO, progress=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.imports_resume_lost() == 0
    failed = _get(item)
    assert (failed.status, failed.failure, failed.key_id) == ("failed", "interrupted", "")
    assert failed.finished_at is not None and not storage.path_of(item.pk).exists()
    (event,) = _events("imports.import.failed")
    assert event.payload == {"failure": "interrupted", "dry_run": False}
    login(client, cast.manager)
    for language, words in (("en", "The import was interrupted"), ("ja", "中断されました")):
        page = client.get(reverse("imports:detail", args=[item.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert words in page.content.decode()


def test_an_import_at_work_is_left_alone(cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    item = _queued(manager, monkeypatch)
    _set(item, status="running", touched_at=timezone.now() - timedelta(minutes=2))
    assert services.imports_resume_lost() == 0
    assert _get(item).status == "running"
    assert not _events("imports.import.resumed") and not _events("imports.import.failed")
