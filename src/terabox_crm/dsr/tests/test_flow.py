"""Routing, the staff queue, replies, reminders, settings and the access
export (P9), with emails read from a real SMTP server."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.crypto.models import DataKey
from terabox_crm.dsr import export as export_file
from terabox_crm.dsr import registry, services
from terabox_crm.dsr.models import AccessExport, PrivacyRequest, StatusChange, Submission
from terabox_crm.dsr.tests.helpers import (
    body_of,
    link_in,
    make_contact,
    make_officer,
    messages_to,
    requests_in,
)
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _verified(client, smtp_server, callbacks, address, kind="deletion", path=None, lang="en"):
    with callbacks(execute=True):
        client.post(
            path or "/privacy/request/",
            {"email": address, "kind": kind, "details": ""},
            HTTP_ACCEPT_LANGUAGE=lang,
        )
    assert smtp_server.event.wait(10)
    token = link_in(messages_to(smtp_server, address)[-1], "verify")
    with callbacks(execute=True):
        client.post(reverse("dsr_public:verify", args=[token]))


def test_a_verified_request_goes_to_every_workspace_holding_the_address(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    in_acme = make_contact(cast.owner_membership, "hanako@example.jp")
    in_globex = make_contact(cast.outsider_membership, "Hanako@Example.jp")
    _verified(client, smtp_server, django_capture_on_commit_callbacks, "hanako@example.jp")
    (acme,) = requests_in(cast.acme)
    (globex,) = requests_in(cast.globex)
    assert acme.subject_ids == [str(in_acme.pk)]
    assert globex.subject_ids == [str(in_globex.pk)]
    assert acme.due_at - acme.received_at == timedelta(days=14)
    confirmations = [
        m for m in messages_to(smtp_server, "hanako@example.jp") if "received" in str(m["Subject"])
    ]
    assert len(confirmations) == 1
    assert "Acme" in body_of(confirmations[0]) and "Globex" in body_of(confirmations[0])


def test_an_unknown_address_opens_no_request_and_is_told_so(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    _verified(client, smtp_server, django_capture_on_commit_callbacks, "nobody@example.jp")
    assert requests_in(cast.acme) == [] and requests_in(cast.globex) == []
    last = messages_to(smtp_server, "nobody@example.jp")[-1]
    assert "No organisation here holds" in body_of(last)


def test_a_workspace_page_routes_only_to_that_workspace(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    make_contact(cast.owner_membership, "hanako@example.jp")
    make_contact(cast.outsider_membership, "hanako@example.jp")
    _verified(
        client,
        smtp_server,
        django_capture_on_commit_callbacks,
        "hanako@example.jp",
        path=f"/privacy/request/{cast.globex.slug}/",
    )
    assert requests_in(cast.acme) == []
    assert len(requests_in(cast.globex)) == 1


def _request(cast, kind="deletion", address="hanako@example.jp", given="太郎"):
    contact = make_contact(cast.owner_membership, address, given=given)
    with scopes_disabled():
        submission = Submission.objects.create(
            kind=kind,
            email=address,
            email_index="x",
            language="en",
            verified_at=timezone.now(),
        )
    (item,) = services.submission_route(submission.pk)
    return item, contact


def test_officers_see_the_queue_and_others_do_not(client, cast):
    item, contact = _request(cast)
    make_officer(cast.member_membership)
    login(client, cast.member)
    page = client.get(reverse("dsr:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deletion" in page and reverse("dsr:request", args=[item.pk]) in page
    detail = client.get(reverse("dsr:request", args=[item.pk])).content.decode()
    assert "hanako@example.jp" in detail
    assert reverse("contacts:detail", args=[contact.pk]) in detail
    assert "山田 太郎" in detail
    client.logout()
    login(client, cast.owner)
    assert client.get(reverse("dsr:queue")).status_code == 403
    assert client.get(reverse("dsr:request", args=[item.pk])).status_code == 403


def test_another_workspaces_officer_gets_a_404(client, cast):
    item, _contact = _request(cast)
    make_officer(cast.outsider_membership)
    login(client, cast.outsider)
    assert client.get(reverse("dsr:request", args=[item.pk])).status_code == 404


def test_staff_close_a_request_and_the_history_is_kept(client, cast):
    item, _contact = _request(cast)
    officer = make_officer(cast.member_membership)
    services.request_assign(membership=officer, request=item, assignee_id=cast.member.pk)
    services.request_set_status(membership=officer, request=item, status="in_progress")
    services.request_set_status(membership=officer, request=item, status="done", note="erased")
    with scope(workspace=cast.acme):
        item.refresh_from_db()
        history = list(
            StatusChange.objects.filter(request=item).values_list("to_status", flat=True)
        )
        change = StatusChange.objects.filter(request=item).first()
    assert item.status == "done" and item.closed_at is not None
    assert history == ["new", "in_progress", "done"]
    with pytest.raises(ValueError):
        change.delete()


def test_refusing_needs_a_reason_and_changes_nothing(cast):
    item, _contact = _request(cast)
    officer = make_officer(cast.member_membership)
    with pytest.raises(Refusal) as refused:
        services.request_set_status(membership=officer, request=item, status="refused")
    assert refused.value.code == "reason_required"
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.get(pk=item.pk).status == "new"


def test_a_reply_reaches_the_person_in_their_language(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast)
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_reply(membership=officer, request=item, body="We erased your data.")
    assert smtp_server.event.wait(10)
    (message,) = messages_to(smtp_server, "hanako@example.jp")
    assert "About your request #1" in str(message["Subject"])
    assert "We erased your data." in body_of(message)


def test_due_days_over_30_are_refused_and_nothing_changes(client, cast):
    officer = make_officer(cast.member_membership)
    with pytest.raises(Refusal) as refused:
        services.policy_update(membership=officer, due_days=31, contact_block="")
    assert refused.value.code == "due_days_out_of_range"
    assert services.policy_for(cast.acme.pk).due_days == 14
    login(client, cast.member)
    response = client.post(
        reverse("dsr:settings"), {"due_days": "45", "contact_block": ""}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    assert "1日から30日" in response.content.decode()


def test_a_shorter_due_date_applies_to_new_requests(cast):
    officer = make_officer(cast.member_membership)
    services.policy_update(membership=officer, due_days=7, contact_block="privacy@acme.example")
    item, _contact = _request(cast)
    assert item.due_at - item.received_at == timedelta(days=7)


def test_reminders_go_once_per_threshold(cast, smtp_server, django_capture_on_commit_callbacks):
    item, _contact = _request(cast)
    make_officer(cast.member_membership)
    now = item.due_at - timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=now) == 1
        assert services.reminders_send(now=now) == 0
        assert services.reminders_send(now=item.due_at + timedelta(hours=1)) == 1
        assert services.reminders_send(now=item.due_at + timedelta(days=1)) == 0
    assert smtp_server.event.wait(10)
    subjects = [str(m["Subject"]) for m in messages_to(smtp_server, "member@acme.example")]
    assert any("Overdue" in s or "期限超過" in s for s in subjects)


def test_the_access_export_holds_the_person_and_its_download_is_audited(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    assert smtp_server.event.wait(10)
    mail = [m for m in messages_to(smtp_server, "hanako@example.jp") if "download" in body_of(m)]
    token = link_in(mail[-1], "download")
    with scopes_disabled():
        export = AccessExport.objects.get()
    raw = export_file.path_of(export.pk).read_bytes()
    assert b"hanako" not in raw and "山田".encode() not in raw
    response = client.get(reverse("dsr_public:download", args=[token]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    document = json.loads(archive.read("export.json"))
    sections = {s["key"]: s for s in document["sections"]}
    assert sections["person"]["rows"][0]["family name"] == "山田"
    assert sections["emails"]["rows"][0]["email"] == "hanako@example.jp"
    assert any(name.endswith("person.csv") for name in archive.namelist())
    assert AuditEvent.objects.filter(action="dsr.export.downloaded").count() == 1


def test_an_expired_export_is_gone_with_its_key(client, cast, django_capture_on_commit_callbacks):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    with scopes_disabled():
        export = AccessExport.objects.get()
    assert services.exports_expire(now=export.expires_at + timedelta(seconds=1)) == 1
    assert not export_file.path_of(export.pk).exists()
    with scopes_disabled():
        assert AccessExport.objects.get().state == "expired"


def test_the_api_lists_and_updates_requests_for_officers_only(client, cast):
    item, _contact = _request(cast)
    make_officer(cast.member_membership)
    login(client, cast.member)
    listed = client.get("/api/v1/privacy-requests/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(item.pk)]
    changed = client.patch(
        f"/api/v1/privacy-requests/{item.pk}/",
        {"status": "refused"},
        content_type="application/json",
    )
    assert changed.status_code == 400
    assert changed["Content-Type"].startswith("application/problem+json")
    ok = client.patch(
        f"/api/v1/privacy-requests/{item.pk}/",
        {"status": "in_progress", "assignee": str(cast.member.pk)},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    client.logout()
    login(client, cast.owner)
    assert client.get("/api/v1/privacy-requests/").status_code == 403
    client.logout()
    make_officer(cast.outsider_membership)
    login(client, cast.outsider)
    assert client.get(f"/api/v1/privacy-requests/{item.pk}/").status_code == 404


def test_another_workspaces_officer_cannot_change_a_request(cast):
    item, _contact = _request(cast)
    outsider = make_officer(cast.outsider_membership)
    with pytest.raises(Refusal) as refused:
        services.request_set_status(membership=outsider, request=item, status="done")
    assert refused.value.status == 404
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.get(pk=item.pk).status == "new"


def test_the_export_is_labelled_in_the_requesters_language(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    item, _contact = _request(cast, kind="access")
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.filter(pk=item.pk).update(language="ja")
        item.refresh_from_db()
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    assert smtp_server.event.wait(10)
    (mail,) = messages_to(smtp_server, "hanako@example.jp")
    assert "個人情報" in str(mail["Subject"])
    response = client.get(reverse("dsr_public:download", args=[link_in(mail, "download")]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    person_csv = next(n for n in archive.namelist() if n.endswith("person.csv"))
    header = archive.read(person_csv).decode("utf-8-sig").splitlines()[0]
    assert "姓" in header or "氏" in header
    document = json.loads(archive.read("export.json"))
    assert document["sections"][0]["label"] == "あなたの登録情報"


def test_every_column_of_the_export_has_a_translated_label(cast):
    """No column falls back to Django's "created at" made from a field name:
    every label of every registered collector is a translation (P9)."""
    from django.utils.functional import Promise

    with scopes_disabled():
        untranslated = [
            (section.key, key)
            for section in registry.sections(cast.acme.pk, [uuid.uuid4()])
            for key, label in section.columns
            if not isinstance(label, Promise)
        ]
    assert untranslated == []
    with translation.override("ja"):
        assert str(registry.column_label(Contact, "created_at")) == "作成日時"


def test_a_value_a_spreadsheet_would_run_is_neutralised_in_the_csv_only(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    """The person opens the CSV files in a spreadsheet: a cell starting with
    = + - @, a tab or a carriage return gets a leading "'" (as the guarded
    exports do, S4); the JSON keeps the value as it is."""
    formula = '=HYPERLINK("https://evil.example","x")'
    item, _contact = _request(cast, kind="access", given=formula)
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    assert smtp_server.event.wait(10)
    mail = [m for m in messages_to(smtp_server, "hanako@example.jp") if "download" in body_of(m)]
    response = client.get(reverse("dsr_public:download", args=[link_in(mail[-1], "download")]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    person_csv = next(n for n in archive.namelist() if n.endswith("person.csv"))
    rows = list(csv.reader(io.StringIO(archive.read(person_csv).decode("utf-8-sig"))))
    assert "'" + formula in rows[1] and formula not in rows[1]
    document = json.loads(archive.read("export.json"))
    assert formula in document["sections"][0]["rows"][0].values()


def test_a_failed_export_leaves_no_file_or_key_and_says_so(cast, monkeypatch):
    item, _contact = _request(cast, kind="access")
    officer = make_officer(cast.member_membership)

    def broken(workspace_id, subject_ids):
        raise RuntimeError("collector failed")
        yield  # pragma: no cover - a generator that fails on first use

    monkeypatch.setattr(registry, "sections", broken)
    with scope(workspace=cast.acme):
        export = AccessExport.objects.create(
            workspace=cast.acme, request=item, requested_by=officer.user
        )
    with pytest.raises(services.ExportRetry):  # the job queue tries again
        services.export_build(export.pk)
    with scopes_disabled():
        assert AccessExport.objects.get(pk=export.pk).state == "pending"
        assert not DataKey.objects.filter(
            scope=export_file.key_scope(export.pk), wrapped__isnull=False
        ).exists()
    assert not export_file.path_of(export.pk).exists()


def test_the_queue_reads_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    make_officer(cast.member_membership)
    for number in range(8):
        _request(cast, address=f"person{number}@example.jp")
    login(client, cast.member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dsr:queue"))
    assert response.content.decode().count("/privacy-requests/") >= 8


def test_a_workspace_page_shows_its_own_contact_block(client, cast):
    officer = make_officer(cast.member_membership)
    services.policy_update(
        membership=officer, due_days=14, contact_block="Acme privacy desk, privacy@acme.example"
    )
    page = client.get(f"/privacy/request/{cast.acme.slug}/").content.decode()
    assert "Acme privacy desk" in page
    assert "Acme privacy desk" not in client.get("/privacy/request/").content.decode()


def test_officers_hear_of_a_new_request_in_their_language_without_the_address(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    officer = make_officer(cast.member_membership)
    officer.user.language = "ja"
    officer.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        _request(cast)
    assert smtp_server.event.wait(10)
    (message,) = messages_to(smtp_server, "member@acme.example")
    assert "個人情報に関する新しい請求 #1" in str(message["Subject"])
    assert "hanako@example.jp" not in body_of(message)


@pytest.mark.parametrize(
    ("language", "subject"), [("ja", "個人情報保護責任者がいません"), ("en", "no privacy officer")]
)
def test_without_a_privacy_officer_the_owners_hear_of_a_new_request(
    cast, smtp_server, django_capture_on_commit_callbacks, language, subject
):
    """``createowner`` appoints no privacy officer: a request must not wait
    unseen in a queue nobody can open until its due date (P9)."""
    cast.owner.language = language
    cast.owner.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        _request(cast)
    assert smtp_server.event.wait(10)
    (message,) = messages_to(smtp_server, cast.owner.email)
    assert subject in str(message["Subject"])
    body = body_of(message)
    assert reverse("core:members") in body and "hanako@example.jp" not in body


def test_with_a_privacy_officer_the_owners_are_not_told(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        _request(cast)
    assert smtp_server.event.wait(10)
    assert messages_to(smtp_server, "member@acme.example")
    assert not messages_to(smtp_server, cast.owner.email)
