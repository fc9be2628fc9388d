"""A person who gave no email address (a letter, a call) is answered by post
(P9, P11): the request is recorded with a postal address, every answer is
sent by an officer and recorded, the access file is downloaded by an officer
once behind a fresh step-up, and retention forgets the address as it
forgets an email address (P5)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.dsr import fulfilment, services
from terabox_crm.dsr.models import AccessExport, PrivacyRequest, Reply
from terabox_crm.dsr.retention import _closed_requests_pending
from terabox_crm.dsr.tests.helpers import (
    make_contact,
    make_officer,
    record_by_email,
    requests_in,
)
from terabox_crm.inventory import RETENTION
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.refusals import Refusal
from terabox_crm.retention import engine
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

ADDRESS = "〒100-0001\n東京都千代田区千代田1-1\n山田 太郎 様"


def _outbox_count() -> int:
    with scopes_disabled():
        return OutboxEmail.objects.count()


def _by_post(membership, contact=None, **changes):
    values = {
        "kind": "access",
        "channel": "post",
        "email": "",
        "postal_address": "  〒100-0001 \n\n 東京都千代田区千代田1-1\n山田 太郎 様  ",
        "identity_check": "Copy of a driving licence enclosed with the letter.",
        "subject_ids": [contact.pk] if contact else [],
    }
    values.update(changes)
    return services.request_record(membership=membership, **values)


def _pending_export(cast, item) -> AccessExport:
    with scope(workspace=cast.acme):
        return AccessExport.objects.create(
            workspace_id=cast.acme.pk, request=item, requested_by_id=cast.member.pk
        )


def test_a_letter_with_no_email_address_is_recorded_to_be_answered_by_post(
    client, cast, django_capture_on_commit_callbacks
):
    contact = make_contact(cast.owner_membership, "taro@example.jp", given="太郎")
    make_officer(cast.member_membership)
    make_officer(cast.manager_membership)
    login(client, cast.member)
    before = _outbox_count()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("dsr:record"),
            {
                "kind": "access",
                "channel": "post",
                "received_on": timezone.localdate().strftime("%Y/%m/%d"),
                "email": "",
                "postal_address": ADDRESS,
                "language": "ja",
                "identity_check": "Copy of a driving licence enclosed.",
                "subject": str(contact.pk),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    (item,) = requests_in(cast.acme)
    assert answer.status_code == 302
    assert item.by_post and item.email == "" and item.email_index == ""
    assert item.postal_address == ADDRESS
    assert item.subject_ids == [str(contact.pk)]
    # Nobody to email: only the other officer hears of it.
    with scopes_disabled():
        sent = list(OutboxEmail.objects.order_by("created_at")[before:])
    # (sent already, so its address is blanked: the kind says who it was for)
    assert len(sent) == 1 and sent[0].kind != "dsr/emails/recorded"
    assert sent[0].kind.startswith("dsr/emails/received")
    event = AuditEvent.objects.get(action="dsr.request.recorded")
    assert event.payload["answer_by"] == "post"
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "let them know by post" in text  # the message after recording
    assert 'id="by-post-note"' in text and "東京都千代田区千代田1-1" in text
    assert "Record the letter" in text and "Prepare the access export" in text
    ja = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "回答の郵送先" in ja and "郵送した書面を記録する" in ja


def test_the_address_is_kept_trimmed_and_one_of_the_two_addresses_is_needed(cast):
    officer = make_officer(cast.member_membership)
    item = _by_post(officer)
    assert item.postal_address == "〒100-0001\n東京都千代田区千代田1-1\n山田 太郎 様"
    for changes, code, field in (
        ({"postal_address": " \n "}, "answer_address_required", "email"),
        ({"postal_address": "x" * 501}, "too_long", "postal_address"),
        ({"email": "not an address"}, "invalid_email", "email"),
    ):
        with pytest.raises(Refusal) as refused:
            _by_post(officer, **changes)
        assert (refused.value.code, refused.value.field) == (code, field)
    assert len(requests_in(cast.acme)) == 1


def test_the_form_says_which_address_is_missing_in_both_languages(client, cast):
    make_officer(cast.member_membership)
    login(client, cast.member)
    form = {"kind": "access", "channel": "post", "language": "ja", "identity_check": "ID seen."}
    for language, text in (
        ("en", "if they gave none, their postal address"),
        ("ja", "メールアドレスがない場合は郵送先住所"),
    ):
        answer = client.post(reverse("dsr:record"), form, HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 400 and text in answer.content.decode()
    assert requests_in(cast.acme) == []


def test_a_reply_by_post_is_recorded_and_no_email_is_sent(client, cast):
    officer = make_officer(cast.member_membership)
    item = _by_post(officer, kind="restriction")
    before = _outbox_count()
    login(client, cast.member)
    answer = client.post(
        reverse("dsr:reply", args=[item.pk]),
        {"body": "We have restricted the use of your data."},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 302
    with scope(workspace=cast.acme):
        (reply,) = Reply.objects.filter(request=item)
    assert reply.by_post and reply.outbox_id is None
    assert _outbox_count() == before
    event = AuditEvent.objects.filter(action="dsr.request.replied").latest("seq")
    assert event.payload["by"] == "post"
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The letter sent by post is recorded." in page and "By post" in page
    # Through the API too: the reply says it went by post.
    api = client.get(f"/api/v1/privacy-requests/{item.pk}/replies/").json()
    assert [r["by_post"] for r in api] == [True]


def test_the_access_file_is_fetched_once_by_an_officer_after_a_step_up(
    client, cast, django_capture_on_commit_callbacks
):
    contact = make_contact(cast.owner_membership, "taro@example.jp", given="太郎")
    officer = make_officer(cast.member_membership)
    item = _by_post(officer, contact)
    before = _outbox_count()
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    with scope(workspace=cast.acme):
        export = AccessExport.objects.get(request=item)
    assert export.state == AccessExport.State.READY
    assert _outbox_count() == before  # no link mailed to anybody
    assert AuditEvent.objects.filter(action="dsr.export.ready").exists()
    assert not AuditEvent.objects.filter(action="dsr.export.sent").exists()

    url = reverse("dsr:export_fetch", args=[item.pk, export.pk])
    login(client, cast.member)
    page = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert url in page.content.decode() and "Ready for you to send by post" in page.content.decode()
    refused = client.post(url)
    assert refused.status_code == 302 and reverse("accounts:step_up") in refused["Location"]

    login(client, cast.member, step_up=True)
    got = client.post(url)
    assert got.status_code == 200 and got["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content)))
    assert any(name.endswith(".json") for name in archive.namelist())
    downloaded = AuditEvent.objects.get(action="dsr.export.downloaded")
    assert downloaded.actor_id == cast.member.pk and downloaded.payload["staff"] is True
    # Once: a second download is refused, said on the page, and a security event.
    again = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="security.dsr.export_fetch_refused").exists()
    page = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "it can be downloaded once" in page.content.decode() and url not in page.content.decode()


def test_a_request_answered_by_email_has_no_staff_download_on_the_page(client, cast):
    contact = make_contact(cast.owner_membership, "taro@example.jp", given="太郎")
    officer = make_officer(cast.member_membership)
    item = record_by_email(
        officer, kind="access", email="taro@example.jp", subject_ids=[contact.pk]
    )
    export = _pending_export(cast, item)
    login(client, cast.member, step_up=True)
    assert client.post(reverse("dsr:export_fetch", args=[item.pk, export.pk])).status_code == 404


def test_another_workspaces_officer_cannot_download_the_file(client, cast):
    officer = make_officer(cast.member_membership)
    item = _by_post(officer)
    export = _pending_export(cast, item)
    login(client, cast.outsider, step_up=True)
    answer = client.post(reverse("dsr:export_fetch", args=[item.pk, export.pk]))
    assert answer.status_code in (403, 404)


def test_the_api_records_a_request_by_post(client, cast):
    make_officer(cast.member_membership)
    login(client, cast.member)
    answer = client.post(
        "/api/v1/privacy-requests/",
        {
            "kind": "deletion",
            "channel": "phone",
            "postal_address": ADDRESS,
            "identity_check": "Called back on the number we hold.",
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["email"] == "" and body["postal_address"] == ADDRESS
    missing = client.post(
        "/api/v1/privacy-requests/",
        {"kind": "deletion", "channel": "phone", "identity_check": "Called back."},
        content_type="application/json",
    )
    assert missing.status_code == 400
    assert missing["Content-Type"].startswith("application/problem+json")


def test_retention_forgets_the_postal_address_as_it_forgets_an_email_address(cast):
    officer = make_officer(cast.member_membership)
    item = _by_post(officer, kind="restriction")
    services.request_reply(membership=officer, request=item, body="Restricted.")
    services.request_set_status(membership=officer, request=item, status="done", note="Done.")
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.filter(pk=item.pk).update(
            closed_at=timezone.now() - timedelta(days=RETENTION["audit"].days + 1)
        )
    engine.run(workspace_ids=[cast.acme.pk])
    with scope(workspace=cast.acme):
        kept = PrivacyRequest.objects.get(pk=item.pk)
        reply = Reply.objects.get(request=item)
    assert (kept.postal_address, kept.identity_check, reply.body) == ("", "", "")
    assert kept.channel == "post" and kept.number == item.number
    # Anonymised once: the next run finds nothing left to do.
    with scope(workspace=cast.acme):
        assert not _closed_requests_pending(
            workspace_id=cast.acme.pk, cutoff=timezone.now(), held=set()
        ).exists()


def test_a_restriction_asked_by_post_is_carried_out_and_says_who_asked(cast):
    contact = make_contact(cast.owner_membership, "taro@example.jp", given="太郎")
    officer = make_officer(cast.member_membership)
    item = _by_post(officer, contact, kind="restriction")
    with translation.override("en"):  # the officer's language
        fulfilment.fulfil_restriction(membership=officer, request=item, subject_id=contact.pk)
    with scope(workspace=cast.acme):
        restriction = privacy_selectors.active_restriction(cast.acme, contact.pk)
    assert restriction is not None
    assert restriction.requested_by == f"The person, by post (request #{item.number})"


def test_a_letter_is_laid_out_to_print_in_the_persons_language(client, cast):
    """The page around it in the officer's language; the letter in the
    person's, with their address, the organisation and its contact block."""
    officer = make_officer(cast.member_membership)
    item = _by_post(officer, kind="deletion")
    reply = services.request_reply(membership=officer, request=item, body="削除しました。")
    url = reverse("dsr:letter", args=[item.pk, reply.pk])
    login(client, cast.member)
    detail = client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert url in detail.content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Letter to print" in text and "data-print" in text  # the officer's language
    letter = text.split('id="letter"', 1)[1]
    assert 'lang="ja"' in text.split('id="letter"', 1)[0].rsplit("<article", 1)[1]
    assert "東京都千代田区千代田1-1" in letter and "削除しました。" in letter
    assert cast.acme.name in letter
    assert f"個人情報に関するご請求（#{item.number}：削除）について" in letter


def test_only_a_reply_by_post_of_this_workspace_has_a_letter(client, cast):
    officer = make_officer(cast.member_membership)
    emailed = record_by_email(officer, email="taro@example.jp")
    by_email = services.request_reply(membership=officer, request=emailed, body="Done.")
    item = _by_post(officer, kind="restriction")
    by_post = services.request_reply(membership=officer, request=item, body="Done.")
    login(client, cast.member)
    assert client.get(reverse("dsr:letter", args=[emailed.pk, by_email.pk])).status_code == 404
    # A reply of another request under this request's address: not found either.
    assert client.get(reverse("dsr:letter", args=[item.pk, by_email.pk])).status_code == 404
    login(client, cast.outsider)
    answer = client.get(reverse("dsr:letter", args=[item.pk, by_post.pk]))
    assert answer.status_code in (403, 404)
