"""The queue's API beyond list and change (P9): replies, access exports
prepared, retried and fetched, and a failed build retried by the job queue
with back-off, then failed with a reason the officer sees."""

from __future__ import annotations

import errno
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from huey.contrib.djhuey import HUEY

from terabox_crm.audit.models import AuditEvent
from terabox_crm.dsr import export as export_file
from terabox_crm.dsr import registry, services, tasks
from terabox_crm.dsr.models import EXPORT_ATTEMPTS, AccessExport, Reply
from terabox_crm.dsr.tests.helpers import body_of, make_contact, make_officer, messages_to
from terabox_crm.dsr.tests.test_flow import _request
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

API = "/api/v1/privacy-requests/"


def _broken(error):
    def sections(workspace_id, subject_ids):
        raise error
        yield  # pragma: no cover - a generator that fails on first use

    return sections


def test_an_officer_replies_through_the_api_and_the_person_gets_it(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast)
    make_officer(cast.member_membership)
    login(client, cast.member)
    empty = client.post(f"{API}{item.pk}/replies/", {"body": " "}, content_type="application/json")
    assert empty.status_code == 400
    assert empty["Content-Type"].startswith("application/problem+json")
    assert "body" in empty.json()["errors"]
    with scopes_disabled():
        assert not Reply.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"{API}{item.pk}/replies/",
            {"body": "We hold your address only."},
            content_type="application/json",
        )
    assert sent.status_code == 201 and sent.json()["body"] == "We hold your address only."
    assert smtp_server.event.wait(10)
    (mail,) = [m for m in messages_to(smtp_server, "hanako@example.jp") if "hold" in body_of(m)]
    assert "We hold your address only." in body_of(mail)
    listed = client.get(f"{API}{item.pk}/replies/").json()
    assert [r["body"] for r in listed] == ["We hold your address only."]
    assert AuditEvent.objects.filter(action="dsr.request.replied").count() == 1


def test_replies_and_exports_are_for_this_workspaces_officers_only(client, cast):
    item, _contact = _request(cast, kind="access")
    login(client, cast.owner)  # an owner, not a privacy officer
    assert client.get(f"{API}{item.pk}/exports/").status_code == 403
    assert (
        client.post(f"{API}{item.pk}/replies/", {"body": "x"}, content_type="application/json")
    ).status_code == 403
    client.logout()
    make_officer(cast.outsider_membership)
    login(client, cast.outsider)
    assert client.post(f"{API}{item.pk}/exports/").status_code == 404
    assert client.get(f"{API}{item.pk}/replies/").status_code == 404
    with scopes_disabled():
        assert not AccessExport.objects.exists()


def test_prepare_list_and_fetch_an_export_through_the_api(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast, kind="access")
    make_officer(cast.member_membership)
    login(client, cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        prepared = client.post(f"{API}{item.pk}/exports/")
    assert prepared.status_code == 202
    export_id = prepared.json()["id"]
    (row,) = client.get(f"{API}{item.pk}/exports/").json()
    assert row["id"] == export_id and row["state"] == "ready" and row["rows"] >= 2
    fetched = client.get(
        f"{API}{item.pk}/exports/{export_id}/download/", HTTP_ACCEPT="application/zip"
    )
    assert fetched.status_code == 200 and fetched["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(fetched.streaming_content)))
    document = json.loads(archive.read("export.json"))
    assert any(s["key"] == "emails" for s in document["sections"])
    downloaded = AuditEvent.objects.get(action="dsr.export.downloaded")
    assert downloaded.actor_id == cast.member.pk


def _ready_export(client, cast, django_capture_on_commit_callbacks):
    item, _contact = _request(cast, kind="access")
    make_officer(cast.member_membership)
    login(client, cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = client.post(f"{API}{item.pk}/exports/").json()["id"]
    return item, export_id


def test_the_staff_copy_is_handed_out_once(client, cast, django_capture_on_commit_callbacks):
    """Like a workspace export: one fetch; a second is a 410 problem and a
    security event, nothing counted. The person's own link still works."""
    item, export_id = _ready_export(client, cast, django_capture_on_commit_callbacks)
    url = f"{API}{item.pk}/exports/{export_id}/download/"
    first = client.get(url, HTTP_ACCEPT="application/zip")
    assert first.status_code == 200 and b"".join(first.streaming_content)

    again = client.get(url, HTTP_ACCEPT="application/zip", HTTP_ACCEPT_LANGUAGE="ja")

    assert again.status_code == 410
    assert again["Content-Type"].startswith("application/problem+json")
    assert "一度" in again.json()["title"]
    refused = AuditEvent.objects.get(action="security.dsr.export_fetch_refused")
    assert refused.actor_id == cast.member.pk and refused.payload["reason"] == "already_fetched"
    assert AuditEvent.objects.filter(action="dsr.export.downloaded").count() == 1
    with scopes_disabled():
        export = AccessExport.objects.get(pk=export_id)
    assert export.downloads == 1 and export.fetched_by_id == cast.member.pk
    assert export.state == AccessExport.State.READY and export.token_hash  # the person's link
    # Another officer gets no second copy either.
    client.logout()
    make_officer(cast.admin_membership)
    login(client, cast.admin)
    assert client.get(url, HTTP_ACCEPT="application/zip").status_code == 410


def test_an_expired_staff_link_is_a_410_and_a_security_event(
    client, cast, django_capture_on_commit_callbacks
):
    item, export_id = _ready_export(client, cast, django_capture_on_commit_callbacks)
    with scopes_disabled():
        export = AccessExport.objects.get(pk=export_id)
    services.exports_expire(now=export.expires_at + timedelta(seconds=1))

    gone = client.get(f"{API}{item.pk}/exports/{export_id}/download/")

    assert gone.status_code == 410
    assert gone["Content-Type"].startswith("application/problem+json")
    refused = AuditEvent.objects.get(action="security.dsr.export_fetch_refused")
    assert refused.payload["reason"] == "link_expired"
    assert not AuditEvent.objects.filter(action="dsr.export.downloaded").exists()
    with scopes_disabled():
        assert AccessExport.objects.get(pk=export_id).fetched_at is None


def test_an_export_of_a_request_that_is_not_access_is_refused(client, cast):
    item, _contact = _request(cast, kind="deletion")
    make_officer(cast.member_membership)
    login(client, cast.member)
    refused = client.post(f"{API}{item.pk}/exports/")
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    with scopes_disabled():
        assert not AccessExport.objects.exists()


def test_a_failed_build_is_retried_then_failed_with_a_reason(cast, monkeypatch):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    monkeypatch.setattr(registry, "sections", _broken(OSError(errno.ENOSPC, "No space left")))
    with scope(workspace=cast.acme):
        export = AccessExport.objects.create(
            workspace=cast.acme, request=item, requested_by=officer.user
        )
    for attempt in range(1, EXPORT_ATTEMPTS):
        with pytest.raises(services.ExportRetry):
            services.export_build(export.pk)
        with scopes_disabled():
            export.refresh_from_db()
        assert (export.state, export.attempts, export.failure) == ("pending", attempt, "disk_full")
        assert not export_file.path_of(export.pk).exists()
    last = services.export_build(export.pk)
    assert last.state == "failed" and last.attempts == EXPORT_ATTEMPTS
    assert last.failure == "disk_full" and last.failed_at is not None
    event = AuditEvent.objects.get(action="dsr.export.failed")
    assert event.object_id == str(item.pk)


def test_the_job_queue_retries_a_failed_build_with_back_off(cast, monkeypatch):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    monkeypatch.setattr(registry, "sections", _broken(RuntimeError("collector failed")))
    with scope(workspace=cast.acme):
        export = AccessExport.objects.create(
            workspace=cast.acme, request=item, requested_by=officer.user
        )
    before = len(HUEY.scheduled())
    started = timezone.now().replace(tzinfo=None)
    tasks.build_access_export(str(export.pk))  # immediate mode: runs now, retry scheduled
    scheduled = [t for t in HUEY.scheduled() if t.args == (str(export.pk),)]
    assert len(HUEY.scheduled()) == before + 1 and len(scheduled) == 1
    retry = scheduled[0]
    assert retry.retries == EXPORT_ATTEMPTS - 2
    assert timedelta(seconds=55) < retry.eta - started < timedelta(seconds=65)
    assert retry.retry_delay == 120  # the next one waits twice as long
    with scopes_disabled():
        export.refresh_from_db()
    assert export.state == "pending" and export.attempts == 1 and export.failure == "data"
    HUEY.storage.flush_schedule()


def test_the_officer_sees_the_reason_and_retries_from_the_request_page(
    client, cast, smtp_server, monkeypatch, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    with scope(workspace=cast.acme):
        export = AccessExport.objects.create(
            workspace=cast.acme,
            request=item,
            requested_by=officer.user,
            state="failed",
            attempts=EXPORT_ATTEMPTS,
            failure="disk_full",
            failed_at=timezone.now(),
        )
    login(client, cast.member)
    page = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "ran out of disk space" in text
    assert reverse("dsr:export_retry", args=[item.pk, export.pk]) in text
    # One way on from a failed export: trying it again, not a second button
    # that would start another.
    assert reverse("dsr:export", args=[item.pk]) not in text
    queue_page = client.get(reverse("dsr:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Access export failed" in queue_page
    ja = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    assert "ディスク" in ja.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(reverse("dsr:export_retry", args=[item.pk, export.pk]))
    assert retried.status_code == 302
    with scopes_disabled():
        export.refresh_from_db()
    assert export.state == "ready" and export.failure == "" and export.attempts == 0
    assert AuditEvent.objects.filter(action="dsr.export.retried").count() == 1
    # Sent: a new export can be sent again from the page.
    page = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("dsr:export", args=[item.pk]) in page.content.decode()
    assert smtp_server.event.wait(10)
    assert any("download" in body_of(m) for m in messages_to(smtp_server, "hanako@example.jp"))


def test_only_a_failed_export_is_retried_and_through_the_api_too(
    client, cast, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        ready = services.export_request(membership=officer, request=item)
    login(client, cast.member)
    refused = client.post(f"{API}{item.pk}/exports/{ready.pk}/retry/", HTTP_ACCEPT_LANGUAGE="en")
    # A state conflict, as the guarded exports answer one (documented: 409).
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/export-state")
    assert "failed" in refused.json()["title"]
    with scope(workspace=cast.acme):
        failed = AccessExport.objects.create(
            workspace=cast.acme, request=item, state="failed", attempts=4, failure="data"
        )
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(f"{API}{item.pk}/exports/{failed.pk}/retry/")
    assert ok.status_code == 202
    with scopes_disabled():
        assert AccessExport.objects.get(pk=failed.pk).state == "ready"
    other_item, _c = _request(cast, kind="access", address="jiro@example.jp")
    # An export of another request is not found under this one.
    assert client.post(f"{API}{other_item.pk}/exports/{failed.pk}/retry/").status_code == 404


def test_a_token_without_the_export_scope_cannot_fetch_the_file(
    client, cast, django_capture_on_commit_callbacks
):
    from terabox_crm.api import services as tokens

    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    make_contact(cast.owner_membership, "other@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        ready = services.export_request(membership=officer, request=item)
    read_only = tokens.token_create(membership=officer, name="r", scopes="read").secret
    url = f"{API}{item.pk}/exports/{ready.pk}/download/"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {read_only}").status_code == 403
    full = tokens.token_create(membership=officer, name="e", scopes="read,export").secret
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {full}").status_code == 200
