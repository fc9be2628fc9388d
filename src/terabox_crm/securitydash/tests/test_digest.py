"""High-severity events email the admins, one digest for a storm (S7)."""

import email
import itertools
from email import policy as email_policy
from unittest import mock

import pytest
from django.core.cache import cache

from terabox_crm.audit.chain import SYSTEM_CHAIN
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.detection import kinds, rules
from terabox_crm.securitydash import alerts, tasks

pytestmark = pytest.mark.django_db


SUBJECTS = itertools.count()


def raise_events(workspace, n, kind=kinds.MASS_READ):
    for _ in range(n):
        event = rules._raise_once(
            kind,
            f"subject-{next(SUBJECTS)}",
            1,
            600,
            event={"workspace": workspace, "payload": {"rows": 1}},
        )
        rules._record(event)


def parse(envelope):
    message = email.message_from_bytes(envelope.content, policy=email_policy.default)
    return message, message.get_body(("plain",)).get_content()


@pytest.fixture
def scheduled():
    with mock.patch.object(tasks.send_digest, "schedule") as schedule:
        yield schedule


def test_a_storm_of_a_hundred_events_sends_one_digest(
    cast, smtp_server, scheduled, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://crm.example"
    cast.owner.language = "ja"
    cast.owner.save(update_fields=["language"])
    cast.admin.language = "en"
    cast.admin.save(update_fields=["language"])
    raise_events(cast.acme, 100)
    # One digest scheduled for the storm, a minute later, with the chain id only.
    scheduled.assert_called_once_with(args=(str(cast.acme.pk),), delay=alerts.DIGEST_DELAY)

    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.send_digest(str(cast.acme.pk)) == 2  # the owner and the admin
    for _ in range(50):
        if len(smtp_server.messages) == 2:
            break
        smtp_server.event.wait(0.2)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
        [cast.owner.email, cast.admin.email]
    )
    by_recipient = {m.rcpt_tos[0]: parse(m) for m in smtp_server.messages}
    subject, body = (
        by_recipient[cast.admin.email][0]["Subject"].strip(),
        by_recipient[cast.admin.email][1],
    )
    assert subject == "Terabox CRM security alert: 100 events"
    assert "A member read or exported more than 5,000 contacts: 100" in body
    assert "https://crm.example/audit/dashboard/" in body
    ja_subject = by_recipient[cast.owner.email][0]["Subject"].strip()
    ja_body = by_recipient[cast.owner.email][1]
    assert ja_subject == "Terabox CRM セキュリティ警告：100件のイベント"
    assert "5,000件を超える連絡先を閲覧またはエクスポートしました：100件" in ja_body
    # Members below admin get nothing.
    assert cast.member.email not in {m.rcpt_tos[0] for m in smtp_server.messages}
    assert OutboxEmail.objects.filter(kind=alerts.KIND).count() == 2


def test_the_storm_going_on_sends_one_more_digest_per_period(cast, scheduled, settings):
    raise_events(cast.acme, 10)
    assert alerts.send_digest(str(cast.acme.pk)) == 2
    # While the lock is held, new events only mark the chain pending.
    raise_events(cast.acme, 30, kind=kinds.DENIAL_BURST)
    assert scheduled.call_count == 2  # the first digest, and its follow-up check
    assert scheduled.call_args.kwargs["delay"] == 15 * 60
    assert alerts.send_digest(str(cast.acme.pk)) == 2  # the follow-up: the 30 new ones
    # Quiet now: the follow-up sends nothing and frees the lock.
    assert alerts.send_digest(str(cast.acme.pk)) == 0
    assert cache.get(f"alerts:lock:{cast.acme.pk}") is None
    raise_events(cast.acme, 1)
    assert scheduled.call_count == 4


def test_medium_events_do_not_email(cast, scheduled):
    raise_events(cast.acme, 5, kind=kinds.READ_BURST)
    raise_events(cast.acme, 5, kind=kinds.ADDRESS_BLOCKED)
    scheduled.assert_not_called()


def test_installation_events_go_to_the_configured_addresses(cast, scheduled, settings):
    settings.SECURITY_ALERT_EMAILS = ["soc@example.com"]
    raise_events(None, 20, kind=kinds.CREDENTIAL_STUFFING)
    scheduled.assert_called_once_with(args=(SYSTEM_CHAIN,), delay=alerts.DIGEST_DELAY)
    assert alerts.send_digest(SYSTEM_CHAIN) == 1
    assert OutboxEmail.objects.get(kind=alerts.KIND).to == "soc@example.com"


def test_installation_events_go_to_every_owner_by_default(cast, scheduled):
    raise_events(None, 20, kind=kinds.CREDENTIAL_STUFFING)
    assert alerts.send_digest(SYSTEM_CHAIN) == 2  # Acme's owner and Globex's
    recipients = {e.to for e in OutboxEmail.objects.filter(kind=alerts.KIND)}
    assert recipients == {cast.owner.email, cast.outsider.email}
