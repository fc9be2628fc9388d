"""The consent ledger (P7): append-only events, state derived from it."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.privacy import selectors, services
from terabox_crm.privacy.models import ConsentEvent
from terabox_crm.privacy.tests.support import grant, make_contact, member_of, withdraw
from terabox_crm.refusals import Refusal


@pytest.fixture
def world(cast):
    member = member_of(cast.acme, cast.member)
    return member, make_contact(member)


def _state(workspace, contact, code):
    with scope(workspace=workspace):
        return next(
            s for s in selectors.consent_states(workspace, contact.pk) if s.purpose.code == code
        )


def test_grant_then_withdraw_and_the_state_follows_the_latest_event(cast, world):
    member, contact = world
    assert _state(cast.acme, contact, "communication").state == "none"
    grant(member, contact, evidence="ウェブフォームで同意")
    assert _state(cast.acme, contact, "communication").state == "granted"
    withdraw(member, contact)
    state = _state(cast.acme, contact, "communication")
    assert state.state == "withdrawn" and state.at is not None
    assert _state(cast.acme, contact, "support").state == "not_needed"
    actions = list(
        AuditEvent.objects.filter(action__startswith="privacy.consent.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["privacy.consent.granted", "privacy.consent.withdrawn"]


def test_events_are_append_only(cast, world):
    member, contact = world
    event = grant(member, contact)
    with scope(workspace=cast.acme):
        event = ConsentEvent.objects.get(pk=event.pk)
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()


def test_withdrawing_a_consent_never_given_is_refused_and_nothing_changes(cast, world):
    member, contact = world
    # In Japanese whatever language an earlier test's request left active.
    with translation.override("ja"):
        with pytest.raises(Refusal) as refused:
            withdraw(member, contact)
        assert refused.value.code == "consent_never_given"
        assert "同意したことがない" in str(refused.value.message)
    with scope(workspace=cast.acme):
        assert not ConsentEvent.objects.exists()


def test_withdrawing_twice_is_refused(cast, world):
    member, contact = world
    grant(member, contact)
    withdraw(member, contact)
    with pytest.raises(Refusal) as refused:
        withdraw(member, contact)
    assert refused.value.code == "consent_already_withdrawn"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"channel": "pigeon"}, "invalid_channel"),
        ({"purpose": "nothing"}, "unknown_purpose"),
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "future_date"),
        ({"evidence": "x" * 2001}, "too_long"),
    ],
)
def test_bad_input_is_refused(cast, world, extra, code):
    member, contact = world
    with pytest.raises(Refusal) as refused:
        grant(member, contact, **extra)
    assert refused.value.code == code
    with scope(workspace=cast.acme):
        assert not ConsentEvent.objects.exists()


def test_evidence_is_encrypted_and_a_file_is_kept_encrypted(cast, world):
    member, contact = world
    upload = SimpleUploadedFile(
        "同意書.pdf", b"%PDF-1.4 consent of Yamada", content_type="application/pdf"
    )
    event = grant(member, contact, evidence="山田様の署名入り同意書", evidence_file=upload)
    with connection.cursor() as cursor:
        cursor.execute("SELECT evidence FROM privacy_consentevent")
        assert "山田" not in cursor.fetchone()[0]
        cursor.execute("SELECT content, name FROM privacy_consentevidencefile")
        content, name = cursor.fetchone()
        assert "consent of Yamada" not in content and "同意書" not in name
    with scope(workspace=cast.acme):
        evidence = selectors.consent_history(cast.acme, [contact.pk])[0].file
        assert evidence.event_id == event.pk
        assert services.evidence_file_content(member, evidence) == b"%PDF-1.4 consent of Yamada"
    assert AuditEvent.objects.filter(action="privacy.consent.evidence_read").exists()


def test_a_file_of_another_type_is_refused(cast, world):
    member, contact = world
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    with pytest.raises(Refusal) as refused:
        grant(member, contact, evidence_file=upload)
    assert refused.value.code == "file_type"


def test_another_workspace_cannot_record_consent_for_a_contact(cast, world):
    _member, contact = world
    outsider = member_of(cast.globex, cast.outsider)
    with pytest.raises(Refusal) as refused:
        grant(outsider, contact)
    assert refused.value.status == 404


def test_viewers_cannot_record_consent(cast, world):
    _member, contact = world
    with pytest.raises(Refusal) as refused:
        grant(member_of(cast.acme, cast.viewer), contact)
    assert refused.value.status == 403


def test_each_event_records_the_privacy_policy_version_in_force(cast, world):
    from terabox_crm.policies.models import PolicyVersion

    member, contact = world
    first = grant(member, contact)
    assert first.policy_version.kind == "privacy" and first.policy_version.number == 1
    now = timezone.now()
    PolicyVersion.objects.create(
        kind="privacy",
        number=2,
        effective_at=now - timedelta(minutes=1),
        published_at=now - timedelta(days=31),
        body_ja="v2",
        body_en="v2",
    )
    second = withdraw(member, contact)
    assert second.policy_version.number == 2
    payload = AuditEvent.objects.get(action="privacy.consent.withdrawn").payload
    assert payload["policy_version"] == 2
