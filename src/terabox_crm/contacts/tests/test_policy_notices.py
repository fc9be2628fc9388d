"""Contacts are told of a policy change when the service-notice purpose may
use them (P10, through the purpose gate P3, P7): real SMTP, batches, the
workspace of each contact."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts import privacy as contacts_privacy
from terabox_crm.contacts import services as contacts
from terabox_crm.contacts.models import ContactEmail
from terabox_crm.core.selectors import membership_in
from terabox_crm.policies import notices
from terabox_crm.policies.models import NoticeDispatch
from terabox_crm.policies.tests.helpers import version
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import LawfulBasis, Purpose
from terabox_crm.testing.purpose_gate import _officer, assert_channel_gated

pytestmark = pytest.mark.django_db


def _received(smtp_server, count) -> dict:
    deadline = timezone.now() + timedelta(seconds=10)
    while len(smtp_server.messages) < count and timezone.now() < deadline:
        smtp_server.event.wait(0.2)
    return {
        envelope.rcpt_tos[0]: email.message_from_bytes(envelope.content, policy=policy.default)
        for envelope in smtp_server.messages
    }


def _address(contact) -> str:
    return f"notice-{contact.pk.hex[:12]}@example.com"


def _assert_contacts_told(cast, smtp_server, capture):
    member = membership_in(cast.acme, cast.member)
    users = {user.email for user in get_user_model().objects.filter(is_active=True)}
    sent: dict = {}

    def act(contact):
        with scope(workspace=cast.acme):
            ContactEmail.objects.create(
                workspace=cast.acme, contact=contact, value=_address(contact), is_primary=True
            )

    def reached(contact) -> bool:
        if not sent:  # the job runs once, after the three contacts are made
            version("privacy", number=2, effective_in=timedelta(days=20))
            with capture(execute=True):
                queued = notices.dispatch_due()
            sent.update(_received(smtp_server, queued))
            assert users <= set(sent)
        return _address(contact) in sent

    assert_channel_gated(
        workspace=cast.acme,
        membership=member,
        purpose=contacts_privacy.NOTICE_PURPOSE,
        channel=contacts_privacy.NOTICE_CHANNEL,
        act=act,
        reached=reached,
    )
    return sent


def test_contacts_the_notice_purpose_may_use_are_told_and_restricted_ones_not(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    # Service notices rest on a legitimate interest by default: a withdrawal
    # changes nothing, a restriction of use does.
    sent = _assert_contacts_told(cast, smtp_server, django_capture_on_commit_callbacks)
    with scopes_disabled():
        told = OutboxEmail.objects.filter(kind=notices.EMAIL_KIND, workspace_id=cast.acme.pk)
        assert told.count() == 2
        assert all(row.subject_id for row in told)
    japanese = next(msg for rcpt, msg in sent.items() if rcpt.startswith("notice-"))
    assert str(japanese["Subject"]).strip().startswith("プライバシーポリシー改訂のお知らせ")
    dispatch = NoticeDispatch.objects.get(audience="contacts")
    assert dispatch.status == NoticeDispatch.Status.DONE and dispatch.recipients == 2


def test_where_notices_rest_on_consent_a_withdrawn_contact_is_not_told(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        Purpose.objects.filter(workspace=cast.acme, code="notices").update(
            lawful_basis=LawfulBasis.CONSENT
        )
    _assert_contacts_told(cast, smtp_server, django_capture_on_commit_callbacks)
    with scopes_disabled():
        assert (
            OutboxEmail.objects.filter(kind=notices.EMAIL_KIND, workspace_id=cast.acme.pk).count()
            == 1
        )


def test_the_audience_walks_every_workspace_in_batches_past_refused_contacts(cast):
    made = []
    for workspace, membership in (
        (cast.acme, membership_in(cast.acme, cast.member)),
        (cast.globex, cast.outsider_membership),
    ):
        with scope(workspace=workspace):
            for n in range(3):
                made.append(
                    contacts.contact_create(
                        membership=membership,
                        data=contacts.ContactData(
                            family_name="一括",
                            given_name=str(n),
                            emails=[contacts.EmailIn(value=f"batch{n}@{workspace.slug}.example")],
                        ),
                    )
                )
        with scope(workspace=workspace):
            contacts.contact_create(
                membership=membership, data=contacts.ContactData(family_name="メールなし")
            )
    # The first two in key order are restricted: the first candidates are all
    # refused, and the walk goes on past them.
    made.sort(key=lambda contact: str(contact.pk))
    for contact in made[:2]:
        officer = _officer(contact.workspace)
        with scope(workspace=contact.workspace):
            privacy.restriction_set(
                membership=officer, subject_id=contact.pk, reason="test", requested_by="them"
            )
    restricted, made = made[:2], made[2:]
    upcoming = version("privacy", number=2, effective_in=timedelta(days=20))
    keys, after = [], ""
    while batch := contacts_privacy.notice_audience(upcoming, after, 2):
        assert len(batch) <= 2
        keys.extend(recipient.key for recipient in batch)
        after = batch[-1].key
    assert keys == sorted(str(contact.pk) for contact in made)
    by_key = {str(contact.pk): contact for contact in made}
    batch = contacts_privacy.notice_audience(upcoming, "", 10)
    assert {r.workspace_id for r in batch} == {cast.acme.pk, cast.globex.pk}
    assert all(r.workspace_id == by_key[r.key].workspace_id for r in batch)
    assert all(r.language == "ja" and r.email.startswith("batch") for r in batch)
    assert not {str(contact.pk) for contact in restricted} & {r.key for r in batch}
