"""Requests received by email, phone, post or in person, recorded by a
privacy officer (P9, P11): the screen, the API, the person told, and what a
bad value gets."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.dsr import fulfilment, services
from terabox_crm.dsr.models import PrivacyRequest, StatusChange
from terabox_crm.dsr.tests.helpers import (
    body_of,
    make_contact,
    make_officer,
    messages_to,
    record_by_email,
    requests_in,
)
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.privacy import services as privacy_services
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

API = "/api/v1/privacy-requests/"


def _typed(day) -> str:
    return day.strftime("%Y/%m/%d")


def test_an_officer_records_a_phone_request_from_the_contacts_page(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    """From the contact's ⋯ menu: the contact named and the people holding
    the address both belong to the request, which is due counting from the
    day it arrived; the person is told in their language at that address,
    the other officer hears of it, the recorder does not."""
    hanako = make_contact(cast.owner_membership, "hanako@example.jp")
    taro = make_contact(cast.owner_membership, "taro@old.example", given="次郎")
    recorder = make_officer(cast.member_membership)
    make_officer(cast.manager_membership)
    login(client, cast.member)

    contact_page = client.get(
        reverse("contacts:detail", args=[taro.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    link = f"{reverse('dsr:record')}?contact={taro.pk}"
    assert link in contact_page and "Record a privacy request" in contact_page
    form = client.get(link, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "山田 次郎" in form and f'value="{taro.pk}"' in form

    arrived = timezone.localdate() - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("dsr:record"),
            {
                "kind": "deletion",
                "channel": "phone",
                "received_on": _typed(arrived),
                "email": "Hanako@Example.jp",
                "language": "ja",
                "identity_check": "Called back on the number we hold.",
                "details": "Please delete everything.",
                "subject": str(taro.pk),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )

    (item,) = requests_in(cast.acme)
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "dsr:request", args=[item.pk]
    )
    assert item.channel == "phone" and item.recorded_by_id == cast.member.pk
    assert item.email == "hanako@example.jp" and item.language == "ja"
    assert item.identity_check == "Called back on the number we hold."
    assert item.subject_ids == sorted([str(hanako.pk), str(taro.pk)])
    start = timezone.make_aware(datetime.combine(arrived, time.min))
    assert item.received_at == start and item.due_at == start + timedelta(days=14)
    with scope(workspace=cast.acme):
        (first,) = StatusChange.objects.filter(request=item)
    assert first.to_status == "new" and first.actor_id == cast.member.pk
    event = AuditEvent.objects.get(action="dsr.request.recorded")
    assert event.actor_id == cast.member.pk
    assert event.payload["channel"] == "phone" and event.payload["subjects"] == 2
    assert "hanako" not in str(event.payload)

    assert smtp_server.event.wait(10)
    (told,) = messages_to(smtp_server, "hanako@example.jp")
    body = body_of(told)
    assert "個人情報" in str(told["Subject"])
    assert "Acme" in body and "電話で受け付けた" in body and "（削除）" in body
    assert arrived.strftime("%Y年%-m月%-d日") in body
    assert messages_to(smtp_server, "manager@acme.example")
    assert not messages_to(smtp_server, "member@acme.example")

    detail = client.get(
        reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Phone" in detail and "Called back on the number we hold." in detail
    assert "People this request is about" in detail
    assert reverse("contacts:detail", args=[taro.pk]) in detail
    queue = client.get(reverse("dsr:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Record a request" in queue and ">Phone</span>" in queue
    assert recorder.user_id == cast.member.pk


def test_a_request_for_an_address_nobody_holds_is_recorded_with_nobody_found(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        item = services.request_record(
            membership=officer,
            kind="access",
            channel="post",
            email="stranger@example.jp",
            identity_check="Signed letter with a copy of a driving licence.",
            language="en",
        )
    assert item.subject_ids == [] and item.channel == "post"
    assert item.received_at.date() == timezone.now().date()
    assert smtp_server.event.wait(10)
    (told,) = messages_to(smtp_server, "stranger@example.jp")
    body = body_of(told)
    assert "Acme has recorded your request about your personal data (Access" in body
    assert "which reached it by post on" in body
    assert "If you did not make this request, tell us at once" in body


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"identity_check": "  "}, "identity_check_required", "identity_check"),
        ({"email": "not an address"}, "invalid_email", "email"),
        ({"kind": "correction", "details": ""}, "details_required", "details"),
        ({"kind": "withdrawal"}, "details_required", "details"),
        ({"details": "x" * 4001}, "too_long", "details"),
        (
            {"received_on": timezone.localdate() + timedelta(days=1)},
            "received_in_future",
            "received_on",
        ),
        (
            {"received_on": timezone.localdate() - timedelta(days=400)},
            "received_too_long_ago",
            "received_on",
        ),
    ],
)
def test_a_bad_value_is_refused_with_its_field_and_records_nothing(cast, changes, code, field):
    officer = make_officer(cast.member_membership)
    make_contact(cast.owner_membership, "hanako@example.jp")
    with scopes_disabled():
        emails_before = OutboxEmail.objects.count()
    with pytest.raises(Refusal) as refused:
        record_by_email(officer, **changes)
    assert refused.value.code == code and refused.value.field == field
    assert requests_in(cast.acme) == []
    assert not AuditEvent.objects.filter(action="dsr.request.recorded").exists()
    with scopes_disabled():
        assert OutboxEmail.objects.count() == emails_before


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"channel": "web"}, "bad_channel"),
        ({"channel": "fax"}, "bad_channel"),
        ({"kind": "everything"}, "bad_kind"),
    ],
)
def test_a_value_no_screen_offers_is_a_security_event(cast, changes, code):
    officer = make_officer(cast.member_membership)
    with pytest.raises(Refusal) as refused:
        record_by_email(officer, **changes)
    assert refused.value.code == code
    assert requests_in(cast.acme) == []
    event = AuditEvent.objects.get(action="security.request.invalid")
    assert event.payload["reason"] == code


def test_another_workspaces_contact_cannot_be_named(client, cast):
    """An officer of Globex naming an Acme contact learns nothing and
    records nothing; the attempt is on Globex's record."""
    acme_contact = make_contact(cast.owner_membership, "hanako@example.jp")
    outsider = make_officer(cast.outsider_membership)
    login(client, cast.outsider)
    page = client.get(f"{reverse('dsr:record')}?contact={acme_contact.pk}").content.decode()
    # Neither the name nor the id as the request's subject (the id is only
    # in the page's own address, which the language switcher repeats).
    assert "山田" not in page and f'value="{acme_contact.pk}"' not in page
    with pytest.raises(Refusal) as refused:
        record_by_email(outsider, email="someone@example.jp", subject_ids=[acme_contact.pk])
    assert refused.value.code == "unknown_subject" and refused.value.status == 400
    assert requests_in(cast.globex) == [] and requests_in(cast.acme) == []
    event = AuditEvent.objects.get(action="security.request.invalid")
    assert event.workspace_id == cast.globex.pk and event.actor_id == cast.outsider.pk


def test_only_privacy_officers_record_requests(client, cast):
    contact = make_contact(cast.owner_membership, "hanako@example.jp")
    login(client, cast.owner)
    assert client.get(reverse("dsr:record")).status_code == 403
    posted = client.post(
        reverse("dsr:record"),
        {
            "kind": "deletion",
            "channel": "phone",
            "received_on": _typed(timezone.localdate()),
            "email": "hanako@example.jp",
            "language": "en",
            "identity_check": "Called back.",
        },
    )
    assert posted.status_code == 403
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert reverse("dsr:record") not in page
    with pytest.raises(Refusal) as refused:
        record_by_email(cast.owner_membership)
    assert refused.value.status == 403
    assert requests_in(cast.acme) == []


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("ja", ("請求を記録", "受付方法", "本人確認の方法", "日付を確認")),
        ("en", ("Record a request", "Received by", "How you checked who the person is", "year")),
    ],
)
def test_the_form_speaks_both_languages_and_keeps_what_was_typed(client, cast, language, texts):
    make_officer(cast.member_membership)
    login(client, cast.member)
    page = client.get(reverse("dsr:record"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in texts[:3]:
        assert text in page
    refused = client.post(
        reverse("dsr:record"),
        {
            "kind": "access",
            "channel": "post",
            "received_on": "2019/01/01",
            "email": "hanako@example.jp",
            "language": language,
            "identity_check": "Letter with a copy of an ID.",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert texts[3] in body and "Letter with a copy of an ID." in body
    assert requests_in(cast.acme) == []


def test_the_api_records_a_request_and_answers_bad_input_with_problem_details(client, cast):
    contact = make_contact(cast.owner_membership, "hanako@example.jp")
    make_officer(cast.member_membership)
    login(client, cast.member)
    created = client.post(
        API,
        {
            "kind": "access",
            "channel": "in_person",
            "email": "hanako@example.jp",
            "identity_check": "Residence card seen at the counter.",
            "language": "en",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    data = created.json()
    assert data["channel"] == "in_person" and data["recorded_by"] == str(cast.member.pk)
    assert data["subject_ids"] == [str(contact.pk)] and data["number"] == 1
    assert data["identity_check"] == "Residence card seen at the counter."
    listed = client.get(API, {"channel": "in_person"}).json()["results"]
    assert [row["id"] for row in listed] == [data["id"]]
    assert client.get(API, {"channel": "web"}).json()["results"] == []

    missing = client.post(
        API,
        {"kind": "access", "channel": "phone", "email": "hanako@example.jp"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert missing.status_code == 400
    assert missing["Content-Type"].startswith("application/problem+json")
    assert "identity_check" in str(missing.json())
    future = client.post(
        API,
        {
            "kind": "access",
            "channel": "phone",
            "email": "hanako@example.jp",
            "identity_check": "Called back.",
            "received_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert future.status_code == 400 and "future" in str(future.json())
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.count() == 1

    client.logout()
    login(client, cast.owner)
    denied = client.post(
        API,
        {"kind": "access", "channel": "phone", "email": "a@example.jp", "identity_check": "x"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.count() == 1


def test_a_withdrawal_by_post_is_written_to_the_consent_ledger_as_post(cast):
    """The consent ledger records how a withdrawal reached the workspace
    (P7): a request recorded from a letter withdraws "by post"."""
    contact = make_contact(cast.owner_membership, "hanako@example.jp")
    officer = make_officer(cast.member_membership)
    with scope(workspace=cast.acme):
        privacy_services.consent_grant(
            membership=officer,
            subject_id=contact.pk,
            purpose="communication",
            channel="web_form",
            evidence="Newsletter sign-up",
        )
    item = record_by_email(
        officer,
        kind="withdrawal",
        channel="post",
        details="No more newsletters, please.",
        identity_check="Signed letter; signature matches the one on file.",
    )
    with scope(workspace=cast.acme):
        fulfilment.fulfil_withdrawal(
            membership=officer, request=item, subject_id=contact.pk, purposes=["communication"]
        )
        (latest, *_older) = privacy_selectors.consent_history(cast.acme, [contact.pk], limit=5)
    assert latest.kind == "withdraw" and latest.channel == "post"
