"""Anonymising a lead removes the person from every app's rows (P5): the
consent ledger and restrictions keep their dates and lose their words, the
tickets they raised keep their numbers and lose their text and messages —
and a lead who wrote to support or whose deal moved within the period is
not due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.erasure.tests.world import privacy_officer
from terabox_crm.privacy import services as privacy_services
from terabox_crm.privacy.models import ConsentEvent, ConsentEvidenceFile, Restriction
from terabox_crm.retention import engine
from terabox_crm.retention.tests.support import age, enable_rule, old_lead, only_rules
from terabox_crm.support import services as support_services
from terabox_crm.support.models import Ticket, TicketMessage
from terabox_crm.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db

WORDS = "山田花子さん本人が署名 090-1111-2222"


def _leads_rule_only(cast):
    enable_rule(cast.owner_membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")


def _a_person_with_words(cast, family: str) -> Contact:
    """A lead with a consent grant (evidence text and file), a restriction
    and a ticket with a message, all of it more than two years old."""
    owner = cast.owner_membership
    officer = privacy_officer(cast)
    contact = old_lead(owner, family=family)
    ticket = open_ticket(cast.acme, cast.owner, subject=WORDS, contact=contact.pk)
    with scope(workspace=cast.acme):
        support_services.ticket_reply(membership=owner, ticket=ticket, body=WORDS)
        privacy_services.consent_grant(
            membership=owner,
            subject_id=contact.pk,
            purpose="communication",
            channel="in_person",
            evidence=WORDS,
            evidence_file=SimpleUploadedFile("signed.txt", WORDS.encode(), "text/plain"),
        )
        privacy_services.restriction_set(
            membership=officer, subject_id=contact.pk, reason=WORDS, requested_by="山田花子"
        )
    age(Ticket, [ticket.pk], days=800, fields=("created_at", "updated_at"))
    age(Contact, [contact.pk], days=800)
    return contact


def test_anonymising_takes_the_persons_words_from_every_app(cast):
    due = _a_person_with_words(cast, "期限")
    kept = _a_person_with_words(cast, "保持")
    with scopes_disabled():  # the second person is a customer: no lead rule applies
        Contact.objects.filter(pk=kept.pk).update(stage="customer")
    _leads_rule_only(cast)

    run = engine.run(workspace_ids=[cast.acme.pk])

    assert run.removed_in(cast.acme.pk) == {"contacts.inactive_leads": 1}
    with scopes_disabled():
        assert Contact.objects.get(pk=due.pk).family_name == ""
        # The consent ledger stays, pseudonymous: kind, purpose, channel, time.
        [event] = ConsentEvent.objects.filter(subject_id=due.pk)
        assert (event.kind, event.channel, event.evidence) == ("grant", "in_person", "")
        assert not ConsentEvidenceFile.objects.filter(event__subject_id=due.pk).exists()
        [restriction] = Restriction.objects.filter(subject_id=due.pk)
        assert restriction.set_at is not None and restriction.lifted_at is None
        assert (restriction.reason, restriction.requested_by) == ("", "")
        [ticket] = Ticket.objects.filter(contact_id=due.pk)
        assert (ticket.subject, ticket.description) == ("—", "")
        assert ticket.number and ticket.first_responded_at is not None
        assert not TicketMessage.objects.filter(ticket=ticket).exists()
        # Nothing of the person who is not due was touched.
        assert ConsentEvent.objects.get(subject_id=kept.pk).evidence == WORDS
        assert ConsentEvidenceFile.objects.filter(event__subject_id=kept.pk).count() == 1
        assert Restriction.objects.get(subject_id=kept.pk).reason == WORDS
        assert Ticket.objects.get(contact_id=kept.pk).subject == WORDS
        assert TicketMessage.objects.filter(ticket__contact_id=kept.pk).count() == 1


def test_a_lead_who_wrote_to_support_within_the_period_is_not_due(cast):
    owner = cast.owner_membership
    writing = old_lead(owner, family="問合せ")
    silent = old_lead(owner, family="音沙汰")
    open_ticket(cast.acme, cast.owner, subject="見積もりの件", contact=writing.pk)
    age(Contact, [writing.pk], days=800)  # the ticket does not touch the contact row
    _leads_rule_only(cast)

    engine.run(workspace_ids=[cast.acme.pk])

    with scopes_disabled():
        assert Contact.objects.get(pk=writing.pk).family_name == "問合せ"
        assert Contact.objects.get(pk=silent.pk).family_name == ""


def test_a_lead_whose_deal_moved_within_the_period_is_not_due(cast):
    owner = cast.owner_membership
    selling = old_lead(owner, family="商談中")
    pipeline = make_pipeline(cast.acme, cast.owner)
    make_deal(cast.acme, cast.owner, pipeline, contact=selling.pk, amount="500000")
    age(Contact, [selling.pk], days=800)
    _leads_rule_only(cast)

    engine.run(workspace_ids=[cast.acme.pk])

    with scopes_disabled():
        assert Contact.objects.get(pk=selling.pk).family_name == "商談中"


def test_a_ticket_changed_long_ago_is_no_activity(cast):
    owner = cast.owner_membership
    lead = old_lead(owner, family="昔")
    ticket = open_ticket(cast.acme, cast.owner, subject="昔の問合せ", contact=lead.pk)
    age(Ticket, [ticket.pk], days=800, fields=("created_at", "updated_at"))
    age(Contact, [lead.pk], days=800)
    _leads_rule_only(cast)

    engine.run(workspace_ids=[cast.acme.pk])

    with scopes_disabled():
        assert Contact.objects.get(pk=lead.pk).family_name == ""
        assert Ticket.objects.get(pk=ticket.pk).subject == "—"
        assert timezone.now() - Ticket.objects.get(pk=ticket.pk).updated_at > timedelta(days=700)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's; the index is the same"
)
def test_a_batch_finds_tickets_and_deals_by_contact_within_the_workspace(cast):
    """The person parts' lookups are index searches led by the workspace and
    the contact (``ticket_contact``, ``deal_contact``), as every statement of
    a batch is — not a walk of the workspace's every ticket or deal per batch
    (SQLite chose the workspace-only index before these existed)."""
    from django.test.utils import CaptureQueriesContext

    old_lead(cast.owner_membership, family="索引")
    _leads_rule_only(cast)
    with CaptureQueriesContext(connection) as queries:
        engine.run(workspace_ids=[cast.acme.pk])
    for table, index in (("support_ticket", "ticket_contact"), ("deals_deal", "deal_contact")):
        [sql] = [
            q["sql"]
            for q in queries
            if q["sql"].startswith(f'SELECT "{table}".') and "retention_batch_ids" in q["sql"]
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")  # nosec B608 - the ORM's statement
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert f"USING INDEX {index}" in plan, plan
