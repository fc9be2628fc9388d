"""An access export whose job was lost is taken up again (P9: the person
gets their data within the request's due date).

The job queue does not run a job again once a worker took it: a worker
killed or restarted mid-build left the access export "being prepared"
forever, and the person never got their link. Every five minutes
``resume_lost_access_exports`` finds the pending exports whose build
started ``LOST_AFTER`` ago (or whose job never started) and queues the build
again; a half-written file and its key are destroyed first, a build that
was cut short counts as an attempt, and after the last the officer sees why.
A build claims its export, so a job queued twice builds one file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.dsr import export as export_file
from terabox_crm.dsr import services, tasks
from terabox_crm.dsr.models import EXPORT_ATTEMPTS, AccessExport
from terabox_crm.dsr.tests.helpers import body_of, make_officer, messages_to
from terabox_crm.dsr.tests.test_flow import _request
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=11)


def _pending(cast, **values) -> AccessExport:
    """An access export asked for whose job never ran (as if lost)."""
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    with scope(workspace=cast.acme):
        made = AccessExport.objects.create(
            workspace=cast.acme, request=item, requested_by=officer.user
        )
    _set(made, **values)
    return _get(made)


def _set(item: AccessExport, **values) -> None:
    with scopes_disabled():
        AccessExport.objects.filter(pk=item.pk).update(**values)


def _get(item: AccessExport) -> AccessExport:
    with scopes_disabled():
        return AccessExport.objects.get(pk=item.pk)


def _events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action))


def test_a_build_cut_short_is_built_again_and_its_half_file_destroyed(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    made = _pending(cast)
    # The job claimed it and began writing, then its worker was killed.
    half = keyring.create_key(export_file.key_scope(made.pk), "encryption")
    export_file.path_of(made.pk).write_bytes(b"half a file")
    _set(made, building_since=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_lost_access_exports.call_local() == 1
    done = _get(made)
    assert done.state == "ready" and done.attempts == 1 and done.building_since is not None
    with scopes_disabled():
        assert DataKey.objects.get(key_id=half.key_id).destroyed_at is not None
    (resumed,) = _events("dsr.export.resumed")
    assert resumed.payload == {"export": str(made.pk), "attempts": 1, "started": True}
    assert smtp_server.event.wait(10)
    assert any("download" in body_of(m) for m in messages_to(smtp_server, "hanako@example.jp"))


def test_a_job_that_never_started_is_queued_again_without_an_attempt(
    cast, django_capture_on_commit_callbacks
):
    made = _pending(cast, created_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_resume_lost() == 1
    done = _get(made)
    assert done.state == "ready" and done.attempts == 0
    assert _events("dsr.export.resumed")[0].payload["started"] is False


def test_a_build_still_running_or_just_asked_is_left_alone(cast):
    running = _pending(cast, building_since=timezone.now() - timedelta(minutes=2))
    assert services.exports_resume_lost() == 0
    assert _get(running).building_since is not None and not _events("dsr.export.resumed")


def test_a_job_queued_twice_builds_one_file(cast, django_capture_on_commit_callbacks):
    made = _pending(cast)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.export_build(made.pk)
    assert first.state == "ready"
    assert services.export_build(made.pk) is None  # the late copy does nothing
    # Claimed by a live job: a second job does nothing either.
    other = _pending(cast, building_since=timezone.now())
    assert services.export_build(other.pk) is None
    assert _get(other).state == "pending"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "interrupted each time"), ("ja", "中断")],
)
def test_a_build_lost_at_every_attempt_fails_and_says_why(client, cast, language, words):
    made = _pending(cast, attempts=EXPORT_ATTEMPTS - 1, building_since=timezone.now() - LONG_AGO)
    assert services.exports_resume_lost() == 0
    failed = _get(made)
    assert failed.state == "failed" and failed.failure == "interrupted"
    assert failed.attempts == EXPORT_ATTEMPTS and failed.failed_at is not None
    (event,) = _events("dsr.export.failed")
    assert event.payload["failure"] == "interrupted"
    login(client, cast.member)
    page = client.get(reverse("dsr:request", args=[made.request_id]), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert words in text
    assert reverse("dsr:export_retry", args=[made.request_id, made.pk]) in text
