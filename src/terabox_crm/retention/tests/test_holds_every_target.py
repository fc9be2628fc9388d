"""A legal hold on a contact stops every retention target (P5).

Every target whose rows concern a contact runs here with a 0-day rule (due
at once; a rule row written directly, since the form refuses 0 days) beside
a second contact with the same rows: the other contact's rows go, which
proves each target ran, and nothing of the held contact goes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.activities.models import Activity, Task
from terabox_crm.audit.chain import open_detail
from terabox_crm.audit.models import AuditDetail
from terabox_crm.contacts.models import Contact, ContactEmail, Stage
from terabox_crm.core.selectors import membership_in
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.dsr.models import PrivacyRequest
from terabox_crm.incidents.models import AffectedItem, Incident
from terabox_crm.privacy.models import ProvisionRecord, ProvisionSubject, ThirdPartyReceipt
from terabox_crm.retention import engine, registry, services
from terabox_crm.retention.models import RetentionRule
from terabox_crm.retention.tests.support import make_contact
from terabox_crm.support.models import Status, Ticket, TicketMessage
from terabox_crm.support.services import ticket_reply
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.webhooks import services as webhook_services
from terabox_crm.webhooks.models import Delivery

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=4000)


def _rows_of(cast, contact, endpoint):
    """Everything a target could remove for ``contact``: one row or more each."""
    long_ago = timezone.now() - LONG_AGO
    membership = cast.owner_membership
    with scope(workspace=cast.acme):
        activity = activity_services.activity_log(
            membership=membership,
            data=activity_services.ActivityData(
                kind=Activity.Kind.CALL,
                occurred_at=long_ago,
                subject="折り返し電話",
                links=activity_services.Links(contact=contact.pk),
            ),
        )
        task = activity_services.task_create(
            membership=membership,
            data=activity_services.TaskData(
                title="見積もり送付",
                due_at=long_ago,
                assignee=cast.owner,
                links=activity_services.Links(contact=contact.pk),
            ),
        )
        activity_services.task_set_done(membership=membership, task=task)
    ticket = open_ticket(cast.acme, cast.owner, contact=contact.pk)
    pipeline = make_pipeline(cast.acme, cast.owner, name=f"Pipeline {contact.pk}")
    deal = make_deal(
        cast.acme, cast.owner, pipeline, name="年間契約", stage="Won", contact=contact.pk
    )
    with scope(workspace=cast.acme):
        ticket_reply(membership=membership, ticket=ticket, body="ご連絡ありがとうございます")
    with scopes_disabled():
        Task.objects.filter(pk=task.pk).update(completed_at=long_ago, updated_at=long_ago)
        Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, resolved_at=long_ago)
        Deal.objects.filter(pk=deal.pk).update(closed_at=long_ago)
        Delivery.objects.create(
            workspace=cast.acme,
            endpoint=endpoint,
            event="contact.updated",
            object_id=str(contact.pk),
            status=Delivery.Status.SUCCEEDED,
            finished_at=long_ago,
        )
        Contact.objects.filter(pk=contact.pk).update(created_at=long_ago, updated_at=long_ago)
        number = PrivacyRequest.objects.filter(workspace=cast.acme).count() + 1
        request = PrivacyRequest.objects.create(
            workspace=cast.acme,
            number=number,
            kind="access",
            email=f"request-{number}@example.jp",
            email_index=f"index-{number}",
            subject_ids=[str(contact.pk)],
            status="done",
            received_at=long_ago,
            due_at=long_ago,
            closed_at=long_ago,
        )
        receipt = ThirdPartyReceipt.objects.create(
            workspace=cast.acme,
            subject_id=contact.pk,
            provider="名簿業者",
            received_on=long_ago.date(),
            obtained_how="展示会",
            consent_by="本人",
            consent_at=long_ago.date(),
            consent_evidence="同意書",
            created_at=long_ago,
            keep_until=long_ago + timedelta(days=3 * 365),
        )
        provision = ProvisionRecord.objects.create(
            workspace=cast.acme,
            recipient="提携先",
            provided_at=long_ago,
            channel="export",
            subject_count=1,
            keep_until=long_ago + timedelta(days=3 * 365),
        )
        ProvisionSubject.objects.create(
            workspace=cast.acme, record=provision, subject_id=contact.pk
        )
        incident = Incident.objects.create(
            workspace=cast.acme,
            number=Incident.objects.filter(workspace=cast.acme).count() + 1,
            title="漏えい",
            status="closed",
            detected_at=long_ago,
            closed_at=long_ago,
        )
        AffectedItem.objects.create(
            workspace=cast.acme,
            incident=incident,
            kind="person",
            object_type="contacts.contact",
            object_id=str(contact.pk),
            first_at=long_ago,
            last_at=long_ago,
        )
    return {
        "activity": activity.pk,
        "task": task.pk,
        "ticket": ticket.pk,
        "request": request.pk,
        "receipt": receipt.pk,
        "provision": provision.pk,
        "incident": incident.pk,
        "deal": deal.pk,
    }


def _endpoint(cast):
    with scopes_disabled():
        return webhook_services.endpoint_create(
            membership=membership_in(cast.acme, cast.admin),
            url="http://127.0.0.1:9/crm",
            description="CRM sync",
            event_names=["contact.updated"],
        ).endpoint


def _what_is_left(contact, rows) -> dict:
    keyring.reset_cache()
    with scopes_disabled():
        details = AuditDetail.objects.filter(subject=f"subject:{contact.pk}")
        kept = Contact.objects.get(pk=contact.pk)
        return {
            "name": kept.family_name,
            "emails": ContactEmail.objects.filter(contact_id=contact.pk).count(),
            "terms": SearchTerm.objects.filter(object_id=contact.pk).count(),
            "activity": Activity.objects.filter(pk=rows["activity"]).first(),
            "task": Task.objects.filter(pk=rows["task"]).first(),
            "ticket": Ticket.objects.filter(pk=rows["ticket"]).exists(),
            "messages": TicketMessage.objects.filter(ticket_id=rows["ticket"]).count(),
            "deliveries": Delivery.objects.filter(object_id=str(contact.pk)).count(),
            "readable_details": sum(1 for d in details if open_detail(d) is not None),
            "request_email": PrivacyRequest.objects.get(pk=rows["request"]).email,
            "records": ThirdPartyReceipt.objects.filter(pk=rows["receipt"]).count()
            + ProvisionRecord.objects.filter(pk=rows["provision"]).count(),
            "incident": Incident.objects.filter(pk=rows["incident"]).exists(),
            "deal_contact": Deal.objects.get(pk=rows["deal"]).contact_id,
        }


def test_a_held_contact_keeps_everything_when_every_target_runs_with_a_0_day_rule(cast, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the endpoint is never called here
    membership = cast.owner_membership
    endpoint = _endpoint(cast)
    held = make_contact(membership, family="保全", emails=["hold@example.jp"])
    other = make_contact(membership, family="期限", emails=["gone@example.jp"])
    # A customer is no lead: its audit details are the audit target's to shred
    # (a lead's subject key goes with its anonymisation, before that target runs).
    customer = make_contact(membership, family="顧客", stage=Stage.CUSTOMER)
    held_rows, other_rows = _rows_of(cast, held, endpoint), _rows_of(cast, other, endpoint)
    services.hold_set(membership=membership, subject_id=held.pk, reason="訴訟対応 2026-ABC")
    concerning_contacts = [t for t in registry.targets(per_workspace=True) if t.holds_apply]
    with scopes_disabled():
        for target in registry.targets(per_workspace=True):
            RetentionRule.objects.update_or_create(
                workspace=cast.acme,
                target=target.code,
                defaults={"days": 0, "action": target.default_action, "enabled": True},
            )
    before = _what_is_left(held, held_rows)

    run = engine.run(workspace_ids=[cast.acme.pk])

    removed = run.removed_in(cast.acme.pk)
    # Every target that concerns contacts ran and removed the other contact's rows…
    assert {t.code for t in concerning_contacts} <= set(removed)
    assert all(removed[t.code] >= 1 for t in concerning_contacts), removed
    assert _what_is_left(customer, other_rows)["readable_details"] == 0
    gone = _what_is_left(other, other_rows)
    assert gone["name"] == "" and gone["emails"] == 0 and gone["terms"] == 0
    assert gone["activity"] is None and gone["task"] is None
    assert not gone["ticket"] and gone["messages"] == 0 and gone["deliveries"] == 0
    assert gone["readable_details"] == 0
    assert gone["request_email"] == ""
    assert gone["records"] == 0
    assert not gone["incident"]
    assert gone["deal_contact"] is None
    # …and nothing of the held contact went.
    after = _what_is_left(held, held_rows)
    assert after == before
    assert after["name"] == "保全" and after["emails"] == 1 and after["terms"] > 0
    assert after["activity"].subject == "折り返し電話" and after["task"].title == "見積もり送付"
    assert after["ticket"] and after["messages"] == 1 and after["deliveries"] == 1
    assert after["readable_details"] > 0
    assert after["request_email"].startswith("request-")
    assert after["records"] == 2
    assert after["deal_contact"] == held.pk


def test_every_target_declares_whether_its_rows_concern_contacts():
    """A new target must decide: rows about contacts honour holds; the rest say why not."""
    not_about_contacts = {
        "security.ip_details",  # network details of events that name no one
        "accounts.sessions",  # users' sessions
        "notifications.read",  # users' inboxes: ids only, never a person's data
        "notifications.all",
        "notifications.former_members",
        "dsr.submissions",  # unverified public-page requests: no contact is matched yet
        "exports.files",  # a sealed file handed out once: the rows keep no person's ids
        "exports.records",  # an export's filters and recipient: no contact is named
        "imports.files",  # a sealed uploaded file: many people at once, kept a day
        "imports.records",  # an import's file name, headers and rows' outcomes (codes, ids)
    }
    for target in registry.targets():
        assert target.holds_apply == (target.code not in not_about_contacts), target.code


def test_third_party_records_are_kept_until_their_legal_date_whatever_the_rule(cast):
    """P4, APPI: a 1-day rule does not delete a record before its ``keep_until``."""
    membership = cast.owner_membership
    contact = make_contact(membership, family="記録")
    long_ago = timezone.now() - LONG_AGO
    with scopes_disabled():
        young = ThirdPartyReceipt.objects.create(
            workspace=cast.acme,
            subject_id=contact.pk,
            provider="名簿業者",
            received_on=long_ago.date(),
            obtained_how="展示会",
            consent_by="本人",
            consent_at=long_ago.date(),
            consent_evidence="同意書",
            created_at=long_ago,
            keep_until=timezone.now() + timedelta(days=30),
        )
        for code in ("privacy.receipts", "privacy.provisions"):
            RetentionRule.objects.create(
                workspace=cast.acme, target=code, days=1, action="delete", enabled=True
            )
    run = engine.run(workspace_ids=[cast.acme.pk])
    assert run.removed_in(cast.acme.pk).get("privacy.receipts", 0) == 0
    with scopes_disabled():
        assert ThirdPartyReceipt.objects.filter(pk=young.pk).exists()
