"""Third-party receipt and provision records (P4)."""

import datetime

import pytest
from django.db import connection
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.privacy import selectors, services
from terabox_crm.privacy.models import RECORD_KEEP_DAYS, ProvisionSubject
from terabox_crm.privacy.tests.support import make_contact, member_of
from terabox_crm.refusals import Refusal

RECEIPT = {
    "provider": "株式会社パートナー",
    "obtained_how": "展示会の名刺交換(共同利用の同意あり)",
    "consent_by": "山田花子 本人",
    "consent_at": "2026-11-01",
    "consent_evidence": "申込書 No. 42",
    "categories": ["identity", "contact"],
}


def test_a_receipt_is_kept_with_its_consent_reference(cast):
    member = member_of(cast.acme, cast.member)
    contact = make_contact(member)
    with scope(workspace=cast.acme):
        receipt = services.receipt_record(membership=member, subject_id=contact.pk, **RECEIPT)
        assert list(selectors.receipts_for(cast.acme, [contact.pk])) == [receipt]
    assert receipt.consent_at == datetime.date(2026, 11, 1)
    assert (receipt.keep_until - receipt.created_at).days == RECORD_KEEP_DAYS
    with connection.cursor() as cursor:
        cursor.execute("SELECT provider, consent_by FROM privacy_thirdpartyreceipt")
        assert "パートナー" not in "".join(cursor.fetchone())
    assert AuditEvent.objects.filter(action="privacy.receipt.recorded").exists()


@pytest.mark.parametrize("missing", ["consent_by", "consent_at", "consent_evidence"])
def test_a_receipt_without_a_consent_reference_is_refused(missing):
    values = dict(RECEIPT, **{missing: ""})
    with pytest.raises(Refusal) as refused:
        services.receipt_check(**values)
    assert refused.value.code == "consent_reference_required"
    assert refused.value.field == missing


def test_a_provision_record_names_the_people_by_id(cast):
    member = member_of(cast.acme, cast.member)
    people = [make_contact(member) for _ in range(3)]
    record = services.provision_record(
        workspace=cast.acme,
        recipient="Partner Inc.",
        subject_ids=[p.pk for p in people],
        categories=["identity", "contact"],
        channel="webhook",
        reference="endpoint-1",
    )
    with scope(workspace=cast.acme):
        found = list(selectors.provision_records_for(cast.acme, [people[1].pk]))
        assert found == [record]
        assert [s.subject_id for s in found[0].subjects.all()] == [people[1].pk]
        assert ProvisionSubject.objects.filter(record=record).count() == 3
        assert list(selectors.provision_records_for(cast.globex, [people[1].pk])) == []
    assert record.subject_count == 3
    assert AuditEvent.objects.get(action="privacy.provision.recorded").payload["subjects"] == 3


def test_auditors_list_both_kinds_through_the_api(client, cast):
    from terabox_crm.testing import factories
    from terabox_crm.testing.auth import login

    member = member_of(cast.acme, cast.member)
    contact = make_contact(member)
    with scope(workspace=cast.acme):
        services.receipt_record(membership=member, subject_id=contact.pk, **RECEIPT)
    services.provision_record(
        workspace=cast.acme,
        recipient="Partner Inc.",
        subject_ids=[contact.pk],
        categories=["identity"],
        channel="webhook",
    )
    login(client, cast.member)
    assert client.get("/api/v1/third-party-provisions/").status_code == 403
    auditor = factories.make_user("auditor@acme.example")
    factories.add_member(cast.acme, auditor, "viewer", is_auditor=True)
    login(client, auditor)
    provisions = client.get("/api/v1/third-party-provisions/").json()["results"]
    assert provisions[0]["recipient"] == "Partner Inc."
    assert provisions[0]["subjects"] == [str(contact.pk)]
    receipts = client.get("/api/v1/third-party-receipts/").json()["results"]
    assert receipts[0]["consent_by"] == "山田花子 本人"
    login(client, cast.outsider)
    assert client.get("/api/v1/third-party-receipts/").json()["results"] == []
