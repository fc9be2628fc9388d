"""The notification campaign and the public notice (S13): every included
person and user gets a ja/en email through the outbox (delivered to a real
SMTP server), users an in-app notice too; people pass the purpose gate's
legal-obligation path, so an erased person is never written to; delivery is
tracked per recipient; the announcement appears on the public /notices/."""

from __future__ import annotations

import email
from email import policy as email_policy

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts.tests.support import make_contact
from terabox_crm.context import RequestContext, activate
from terabox_crm.core.selectors import membership_in
from terabox_crm.erasure import services as erasure
from terabox_crm.incidents import services
from terabox_crm.incidents.models import AffectedItem, Decision, Delivery
from terabox_crm.incidents.tests.factories import NOTICE, open_incident
from terabox_crm.notifications.models import Notification
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

NOTICES = reverse("policies:notices")


def _body(envelope) -> str:
    message = email.message_from_bytes(envelope.content, policy=email_policy.default)
    return str(message["Subject"]) + "\n" + message.get_body(("plain",)).get_content()


@pytest.fixture
def breach(cast):
    """Acme (default language ja): the member's account read three people, one
    of whom is then erased; the viewer is a user it read about."""
    cast.acme.default_language = "ja"
    cast.acme.save(update_fields=["default_language"])
    cast.viewer.language = "en"
    cast.viewer.save(update_fields=["language"])
    start = timezone.now()
    people = [
        make_contact(cast.owner_membership, family=name, emails=[f"{name.lower()}@example.jp"])
        for name in ("Sato", "Suzuki", "Takahashi")
    ]
    with activate(RequestContext(ip="203.0.113.5")):
        for person in people:
            audit.record(
                "privacy.consent.evidence_read",
                actor=cast.member,
                workspace=cast.acme,
                object_type="privacy.consentevent",
                object_id="e",
                subject_id=person.pk,
            )
        audit.record(
            "accounts.profile.changed",  # an event about the viewer's account
            actor=cast.member,
            workspace=cast.acme,
            obj=cast.viewer,
            subject_id=cast.viewer.pk,
        )
    incident = open_incident(
        cast.acme, cast.owner, source_user=cast.member.pk, window_start=start, **NOTICE
    )
    officer = cast.admin_membership
    officer.is_privacy_officer = True
    officer.save(update_fields=["is_privacy_officer"])
    with scope(workspace=cast.acme):
        services.affected_compute(membership=officer, incident=incident)
        erasure.subject_erase(
            membership=membership_in(cast.acme, cast.admin),
            subject_id=people[2].pk,
            reason="Deletion request",
        )
    return incident, people


def _notify(client, cast, incident):
    login(client, cast.admin, step_up=True)
    return client.post(reverse("incidents:notify", args=[incident.pk]), secure=True)


def test_nobody_is_told_before_review(client, cast, breach):
    incident, _people = breach
    response = _notify(client, cast, incident)
    assert response.status_code == 302
    with scopes_disabled():
        assert not Delivery.objects.exists()
    assert not OutboxEmail.objects.filter(kind="incidents/email/notice").exists()


def test_the_campaign_tells_each_person_once_and_never_an_erased_one(
    client, cast, breach, smtp_server, django_capture_on_commit_callbacks
):
    incident, people = breach
    with scope(workspace=cast.acme):
        services.affected_review(
            membership=membership_in(cast.acme, cast.admin),
            incident=incident,
            decision=Decision.INCLUDED,
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = _notify(client, cast, incident)
    assert response.status_code == 302

    received = {tuple(m.rcpt_tos): _body(m) for m in smtp_server.messages}
    sato = received[("sato@example.jp",)]
    assert "不正アクセスに関するお知らせ" in sato and "Acme" in sato  # the workspace's language
    assert "/notices/incidents/" in sato
    viewer = received[(cast.viewer.email,)]
    assert "Notice of unauthorised access" in viewer  # the user's own language
    assert ("takahashi@example.jp",) not in received  # erased: never written to
    member = received[(cast.member.email,)]  # the account holder
    assert "Important" in member or "重要" in member

    with scopes_disabled():
        refused = Delivery.objects.get(item__object_id=str(people[2].pk))
        assert (refused.state, refused.reason) == ("refused", "erased")
        assert Notification.objects.filter(kind="incidents.notice", user=cast.viewer).count() == 1
    gate = AuditEvent.objects.get(action="privacy.gate.refused")
    assert gate.payload["channel"] == "incidents.notification"
    assert gate.payload["purpose"] == "legal"
    assert AuditEvent.objects.filter(action="incidents.notification.refused").exists()

    # The page brings the delivery states up to date from the outbox.
    page = client.get(reverse("incidents:detail", args=[incident.pk]), secure=True)
    assert page.status_code == 200
    with scopes_disabled():
        states = set(Delivery.objects.filter(channel="email").values_list("state", flat=True))
    assert states == {"sent", "refused"}

    # Again: nobody is told twice.
    before = len(smtp_server.messages)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client, cast, incident)
    assert len(smtp_server.messages) == before
    with scopes_disabled():
        assert Notification.objects.filter(kind="incidents.notice", user=cast.viewer).count() == 1


def test_excluded_people_are_not_told(cast, breach):
    incident, people = breach
    officer = membership_in(cast.acme, cast.admin)
    with scope(workspace=cast.acme):
        sato = AffectedItem.objects.get(incident=incident, object_id=str(people[0].pk))
        services.affected_review(
            membership=officer, incident=incident, decision="excluded", item_ids=[sato.pk]
        )
        services.affected_review(membership=officer, incident=incident, decision="included")
        result = services.campaign_send(membership=officer, incident=incident)
        assert not Delivery.objects.filter(item=sato).exists()
    assert result.refused == {"erased": 1}


def test_a_notice_in_both_languages_is_needed(cast, breach):
    incident, _people = breach
    officer = membership_in(cast.acme, cast.admin)
    with scope(workspace=cast.acme):
        services.incident_update(
            membership=officer, incident=incident, values={"notice_body_en": ""}
        )
        services.affected_review(membership=officer, incident=incident, decision="included")
        with pytest.raises(Refusal) as refused:
            services.campaign_send(membership=officer, incident=incident)
        assert refused.value.code == "notice_missing"
        with pytest.raises(Refusal):
            services.notice_publish(membership=officer, incident=incident)


def test_sending_needs_a_fresh_step_up(client, cast, breach):
    incident, _people = breach
    login(client, cast.admin, step_up=False)
    response = client.post(reverse("incidents:notify", args=[incident.pk]), secure=True)
    assert response.status_code in (302, 403)
    assert "step-up" in response.get("Location", "") or response.status_code == 403
    with scopes_disabled():
        assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("language", "title", "heading"),
    [
        ("ja", "不正アクセスに関するお知らせ", "セキュリティインシデント"),
        ("en", "Notice of unauthorised access", "Security incidents"),
    ],
)
def test_the_published_notice_is_on_the_public_page(client, cast, breach, language, title, heading):
    incident, _people = breach
    public = Client()
    detail = reverse("incidents:notice", args=[incident.pk])
    assert public.get(detail, secure=True).status_code == 404  # not yet published
    assert (
        title
        not in public.get(NOTICES, secure=True, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )
    login(client, cast.admin, step_up=True)
    response = client.post(
        reverse("incidents:publish", args=[incident.pk]), {"publish": "1"}, secure=True
    )
    assert response.status_code == 302

    page = public.get(NOTICES, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert page.status_code == 200
    assert heading in text and title in text
    # The policy section below names its own emptiness, not the page's.
    assert 'empty">No announcements yet.' not in text
    assert 'empty">お知らせはまだありません' not in text
    assert "Policy changes" in text or "ポリシーの変更" in text
    one = public.get(detail, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert one.status_code == 200 and title in one.content.decode()
    # No personal data: not the incident's internal title, not who was compromised.
    for shown in (text, one.content.decode()):
        assert "Phished account" not in shown and cast.member.email not in shown

    client.post(reverse("incidents:publish", args=[incident.pk]), {"publish": "0"}, secure=True)
    assert public.get(detail, secure=True).status_code == 404
