"""Notice of a change: once per version and audience, in each user's
language, through the outbox and a real SMTP server; resumable (P10)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from django.utils import timezone

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.policies import notices
from terabox_crm.policies.models import NoticeDispatch
from terabox_crm.policies.tests.helpers import version

pytestmark = pytest.mark.django_db

KIND = notices.EMAIL_KIND


@pytest.fixture
def audiences():
    """Registered audiences restored after the test."""
    before = dict(notices._audiences)
    yield notices._audiences
    notices._audiences.clear()
    notices._audiences.update(before)


def _messages(smtp_server, count):
    deadline = timezone.now() + timedelta(seconds=10)
    while len(smtp_server.messages) < count and timezone.now() < deadline:
        smtp_server.event.wait(0.2)
    return [
        email.message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages
    ]


def test_users_get_the_notice_in_their_language_through_real_smtp(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    cast.member.language = "en"
    cast.member.save(update_fields=["language"])
    cast.viewer.language = "ja"
    cast.viewer.save(update_fields=["language"])
    upcoming = version("privacy", number=2, effective_in=timedelta(days=20))
    users = User.objects.filter(is_active=True).count()

    with django_capture_on_commit_callbacks(execute=True):
        queued = notices.dispatch_due()

    assert queued == users
    messages = _messages(smtp_server, users)
    by_rcpt = {
        env.rcpt_tos[0]: msg for env, msg in zip(smtp_server.messages, messages, strict=True)
    }
    english = by_rcpt[cast.member.email]
    japanese = by_rcpt[cast.viewer.email]
    assert str(english["Subject"]).startswith("Our privacy policy changes on")
    body = english.get_body(("plain",)).get_content()
    assert "Version 2 of the Terabox CRM privacy policy takes effect on" in body
    assert "What version 2 changes" in body
    assert f"{upcoming.get_absolute_url()}" in body
    assert str(japanese["Subject"]).strip().startswith("プライバシーポリシー改訂のお知らせ")
    assert "第2版の変更点" in japanese.get_body(("plain",)).get_content()

    dispatch = NoticeDispatch.objects.get(version=upcoming, audience="users")
    assert dispatch.status == NoticeDispatch.Status.DONE
    assert dispatch.recipients == users and dispatch.finished_at is not None
    # Other audiences (contacts) are told too, each with its own event.
    event = AuditEvent.objects.get(action="policies.notice.sent", payload__audience="users")
    assert event.payload == {
        "kind": "privacy",
        "number": 2,
        "audience": "users",
        "recipients": users,
    }


def test_a_notice_is_sent_once(cast):
    version("privacy", number=2, effective_in=timedelta(days=20))
    first = notices.dispatch_due()
    assert first > 0
    assert notices.dispatch_due() == 0
    assert OutboxEmail.objects.filter(kind=KIND).count() == first


def test_no_notice_before_it_is_due_nor_for_the_first_version(cast, settings):
    settings.POLICY_NOTICE_DAYS = 30
    version("privacy", number=2, effective_in=timedelta(days=45))
    assert notices.dispatch_due() == 0
    assert notices.dispatch_due(now=timezone.now() + timedelta(days=16)) > 0
    assert not NoticeDispatch.objects.filter(version__number=1).exists()


def test_a_registered_audience_is_told_too_in_batches_and_resumes_after_a_crash(cast, audiences):
    people = [notices.Recipient(key=f"{n:04d}", email=f"p{n}@example.com") for n in range(5)]
    calls = []

    def contacts(version, after, limit):
        calls.append(after)
        if after == "0001" and len(calls) == 2:
            raise RuntimeError("the worker died")
        return [p for p in people if p.key > after][:limit]

    notices.register_audience("contacts", contacts)
    version("security", number=2, effective_in=timedelta(days=10))
    with pytest.raises(RuntimeError):
        notices.dispatch_due(batch_size=2)
    dispatch = NoticeDispatch.objects.get(audience="contacts")
    assert dispatch.status == NoticeDispatch.Status.SENDING
    assert dispatch.cursor == "0001" and dispatch.recipients == 2

    notices.dispatch_due(batch_size=2)
    dispatch.refresh_from_db()
    assert dispatch.status == NoticeDispatch.Status.DONE and dispatch.recipients == 5
    sent_to = sorted(
        mail.to
        for mail in OutboxEmail.objects.filter(kind=KIND)
        if mail.to.endswith("@example.com")
    )
    assert sent_to == [p.email for p in people]  # everyone once, nobody twice


def test_the_notices_sent_are_listed_for_the_trust_centre(cast):
    from terabox_crm.policies import selectors

    upcoming = version("security", number=2, effective_in=timedelta(days=10))
    notices.dispatch_due()
    # One row per audience (users, and contacts registered by the contacts app).
    [sent] = [row for row in selectors.notices_sent("security") if row.audience == "users"]
    assert sent.version == upcoming and sent.audience == "users"
    assert sent.recipients > 0 and sent.finished_at is not None
    assert selectors.notices_sent("privacy") == []
