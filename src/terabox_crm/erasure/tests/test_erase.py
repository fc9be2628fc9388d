"""Erasing a person reaches every place they are stored (P8)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled

from terabox_crm.activities.models import Activity, Task
from terabox_crm.audit import verify
from terabox_crm.audit.chain import open_detail, subject_scope
from terabox_crm.audit.models import AuditDetail, AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.crypto.models import DataKey, SearchTerm
from terabox_crm.deals.models import Deal
from terabox_crm.erasure import ledger, selectors, services
from terabox_crm.erasure.models import Tombstone, TombstoneDigest
from terabox_crm.erasure.tests import world
from terabox_crm.notifications.models import Notification
from terabox_crm.privacy import gate
from terabox_crm.privacy.models import ConsentEvent, ConsentEvidenceFile, Restriction
from terabox_crm.privacy.tests.support import grant
from terabox_crm.refusals import Refusal
from terabox_crm.support.models import Ticket, TicketMessage
from terabox_crm.webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def erase(person, membership=None, **extra):
    membership = membership or person.officer
    with scope(workspace=membership.workspace):
        return services.subject_erase(
            membership=membership,
            subject_id=person.contact.pk,
            reason=extra.pop("reason", "Deletion request by email"),
            **extra,
        )


def test_erasure_reaches_every_table_index_queue_and_key(cast):
    person = world.make_person(cast, restricted=True)
    contact_id = person.contact.pk
    with scopes_disabled():
        assert AuditDetail.objects.filter(subject=subject_scope(contact_id)).exists()
        assert SearchTerm.objects.filter(object_id=contact_id).exists()
        assert SearchTerm.objects.filter(object_id=person.deal.pk).exists()

    tombstone = erase(person, request_id="dsr-1")

    with scopes_disabled():
        assert not Contact.objects.filter(pk=contact_id).exists()
        assert not ContactEmail.objects.filter(contact_id=contact_id).exists()
        assert not ContactPhone.objects.filter(contact_id=contact_id).exists()
        assert not Contact.tags.through.objects.filter(contact_id=contact_id).exists()
        assert not Activity.objects.filter(pk__in=[a.pk for a in person.activities]).exists()
        assert not Task.objects.filter(pk=person.task.pk).exists()
        # The deal keeps its business figures, not the person.
        deal = Deal.objects.get(pk=person.deal.pk)
        assert (deal.name, deal.contact_id, str(deal.amount)) == ("—", None, "120000.00")
        ticket = Ticket.objects.get(pk=person.ticket.pk)
        assert (ticket.subject, ticket.description, ticket.contact_id) == ("—", "", None)
        assert ticket.number == person.ticket.number
        assert not TicketMessage.objects.filter(ticket=ticket).exists()
        # Search terms of the contact and of the deal's old name.
        assert not SearchTerm.objects.filter(object_id__in=[contact_id, deal.pk]).exists()
        # Queued email to the person and to a colleague naming them.
        assert not OutboxEmail.objects.filter(workspace_id=cast.acme.pk).exists()
        assert not Delivery.objects.filter(object_id=str(contact_id)).exists()
        assert not Notification.objects.filter(params__task_id=str(person.task.pk)).exists()
        # Consent ledger and restriction: text and files gone, the shape stays.
        assert not ConsentEvidenceFile.objects.filter(
            event_id__in=[e.pk for e in person.consents]
        ).exists()
        events = ConsentEvent.objects.filter(subject_id=contact_id).order_by("occurred_at")
        assert [(e.kind, e.channel, e.purpose.code, e.evidence) for e in events] == [
            ("grant", "in_person", "communication", ""),
            ("withdraw", "email", "communication", ""),
        ]
        restriction = Restriction.objects.get(pk=person.restriction.pk)
        assert (restriction.reason, restriction.requested_by, restriction.set_at) == (
            "",
            "",
            person.restriction.set_at,
        )
        # Audit details: the subject key is destroyed, the detail unreadable.
        keys = DataKey.objects.filter(scope=subject_scope(contact_id))
        assert keys.exists()
        assert set(keys.values_list("status", flat=True)) == {DataKey.Status.DESTROYED}
        assert all(k is None for k in keys.values_list("wrapped", flat=True))
        details = AuditDetail.objects.filter(subject=subject_scope(contact_id))
        assert details.exists()
        assert all(open_detail(d) is None for d in details)
        # The chain names only ids and still verifies.
        assert all(report.finding is None for report in verify.verify_all())
        event = AuditEvent.objects.get(action="privacy.subject.erased")
        assert event.payload["subject"] == str(contact_id)
        assert event.payload["request"] == "dsr-1"
        assert event.payload["rows"]["privacy.consent"] == 2
        assert event.payload["rows"]["privacy.consent_files"] == 1
        assert event.payload["rows"]["privacy.restriction"] == 1
        assert event.actor_id == person.officer.user_id
        assert tombstone.subject_id == contact_id
        assert set(
            TombstoneDigest.objects.filter(tombstone=tombstone).values_list("kind", flat=True)
        ) == {"email", "phone"}
    # The ledger file: ids and keyed hashes, no personal value.
    text = ledger.path().read_text()
    for canary in (*world.CANARIES, world.PHONE, "qzerasev"):
        assert canary.lower() not in text.lower()
    entry = json.loads(text)
    assert entry["subject"] == str(contact_id) and len(entry["digests"]) == 2


def test_other_people_and_workspaces_are_untouched(cast):
    person = world.make_person(cast)
    other = make_contact(member_of(cast.acme, cast.owner), family="Other", emails=["o@example.net"])
    foreign = make_contact(
        member_of(cast.globex, cast.outsider), family=world.NAME[0], emails=[world.EMAIL]
    )
    erase(person)
    with scopes_disabled():
        assert Contact.objects.filter(pk__in=[other.pk, foreign.pk]).count() == 2
        assert SearchTerm.objects.filter(object_id=foreign.pk).exists()
        assert ContactEmail.objects.filter(contact_id=foreign.pk).exists()


def test_erasing_twice_is_refused_and_changes_nothing(cast):
    person = world.make_person(cast)
    erase(person)
    with scopes_disabled():
        events = AuditEvent.objects.count()
    with pytest.raises(Refusal) as refused:
        erase(person)
    assert refused.value.code == "already_erased"
    assert refused.value.status == 409
    with scopes_disabled():
        assert AuditEvent.objects.count() == events
        assert Tombstone.objects.count() == 1
    assert len(ledger.path().read_text().splitlines()) == 1


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_only_privacy_officers_may_erase(cast, role):
    person = world.make_person(cast)
    membership = member_of(cast.acme, getattr(cast, role))
    if role == "admin":
        with scopes_disabled():
            membership.is_privacy_officer = False
            membership.save(update_fields=["is_privacy_officer"])
    with pytest.raises(Refusal) as refused:
        erase(person, membership)
    assert refused.value.status == 403
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()
        assert not Tombstone.objects.exists()
        assert AuditEvent.objects.filter(action="security.permission.denied").exists()


def test_an_officer_of_another_workspace_finds_nobody(cast):
    person = world.make_person(cast)
    foreign = member_of(cast.globex, cast.outsider)
    with scopes_disabled():
        foreign.is_privacy_officer = True
        foreign.save(update_fields=["is_privacy_officer"])
    with pytest.raises(Refusal) as refused:
        erase(person, foreign)
    assert refused.value.code == "not_found"
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()
        assert not Tombstone.objects.exists()


@pytest.mark.parametrize(
    ("reason", "code"), [("  ", "reason_required"), ("x" * 501, "reason_too_long")]
)
def test_a_reason_is_required(cast, reason, code):
    person = world.make_person(cast)
    with pytest.raises(Refusal) as refused:
        erase(person, reason=reason)
    assert refused.value.code == code
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()


def test_erased_among_and_the_suppression_list(cast):
    person = world.make_person(cast)
    other = make_contact(member_of(cast.acme, cast.owner), family="Other")
    erase(person)
    found = selectors.erased_among(cast.acme.pk, [person.contact.pk, other.pk])
    assert list(found) == [person.contact.pk]
    # Any spelling of the address or number, and only in the workspace it was erased in.
    hits = selectors.suppressed(
        cast.acme.pk,
        emails=["  QZERASEV.Canarina@example.net", "new@example.net"],
        phones=["+81 3-5555-0177", "03-1234-5678"],
    )
    assert hits == {"  QZERASEV.Canarina@example.net", "+81 3-5555-0177"}
    assert selectors.suppressed(cast.globex.pk, emails=[world.EMAIL]) == set()
    assert selectors.erased_among(cast.globex.pk, [person.contact.pk]) == {}


def test_a_job_without_a_scope_may_erase(cast):
    """A data-subject request's job calls the service outside any request scope."""
    person = world.make_person(cast)
    tombstone = services.subject_erase(
        membership=person.officer, subject_id=person.contact.pk, reason="DSR job"
    )
    with scopes_disabled():
        assert tombstone.subject_id == person.contact.pk
        assert not Contact.objects.filter(pk=person.contact.pk).exists()


def test_the_purpose_gate_and_restriction_answer_erased_after_an_erasure(cast):
    """The gate (P3) names the reason "erased" for an erased person, not "no
    such person", and a restriction of an erased person is refused (P7)."""
    from terabox_crm.privacy import gate
    from terabox_crm.privacy import services as privacy_services

    person = world.make_person(cast)
    erase(person)
    decision = gate.check(
        workspace=person.officer.workspace, purpose="legal", subject_ids=[person.contact.pk]
    )
    assert decision.allowed == set()
    assert decision.refused[person.contact.pk].code == "erased"
    with scope(workspace=person.officer.workspace), pytest.raises(Refusal) as refused:
        privacy_services.restriction_set(
            membership=person.officer,
            subject_id=person.contact.pk,
            reason="asked by phone",
            requested_by="the person",
        )
    assert refused.value.code == "subject_erased"


def test_the_record_that_a_policy_notice_went_to_the_address_is_erased_too(cast):
    from terabox_crm.policies import notices
    from terabox_crm.policies.models import NoticeRecipient
    from terabox_crm.policies.tests.helpers import version

    person = world.make_person(cast)
    upcoming = version("privacy", number=2)
    told = NoticeRecipient.objects.create(
        version=upcoming, address_index=notices.address_index(world.EMAIL.upper())
    )
    someone_else = NoticeRecipient.objects.create(
        version=upcoming, address_index=notices.address_index("o@example.net")
    )
    erase(person)
    assert not NoticeRecipient.objects.filter(pk=told.pk).exists()
    assert NoticeRecipient.objects.filter(pk=someone_else.pk).exists()


def test_the_consent_ledger_of_an_erased_person_stays_a_pseudonymous_record(cast):
    """The kept events still answer "was the use lawful, when was it
    withdrawn" by id (docs/privacy-erasure.md), and the gate says "erased"."""
    person = world.make_person(cast)
    other = make_contact(member_of(cast.acme, cast.owner), family="Other", emails=["o@example.net"])
    kept = grant(
        member_of(cast.acme, cast.owner),
        other,
        evidence="Other's own evidence",
        evidence_file=SimpleUploadedFile("o.txt", b"other", content_type="text/plain"),
    )
    erase(person)
    with scopes_disabled():
        latest = gate.latest_consent(
            cast.acme.pk, person.consents[0].purpose_id, [person.contact.pk]
        )
        assert latest[person.contact.pk][0] == "withdraw"
        assert [e.policy_version_id for e in person.consents] == list(
            ConsentEvent.objects.filter(subject_id=person.contact.pk)
            .order_by("occurred_at")
            .values_list("policy_version_id", flat=True)
        )
        # Another person's evidence is untouched.
        assert ConsentEvent.objects.get(pk=kept.pk).evidence == "Other's own evidence"
        assert ConsentEvidenceFile.objects.filter(event_id=kept.pk).exists()
    with scope(workspace=cast.acme):
        assert selectors.erased_among(cast.acme.pk, [person.contact.pk])
