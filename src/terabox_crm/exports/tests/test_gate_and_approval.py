"""The purpose gate removes the people an export may not use and says how
many and why (P3); a large export waits for a second admin (S4); a third
party's export leaves a provision record (P4)."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.exports import services
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import (
    contact_in,
    file_rows,
    member_of,
    read_file,
    request_export,
)
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import ProvisionRecord, ProvisionSubject
from terabox_crm.refusals import Refusal
from terabox_crm.testing.purpose_gate import assert_channel_gated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("purpose", ["communication", "support"])
def test_the_export_channel_asks_the_purpose_gate(
    cast, django_capture_on_commit_callbacks, purpose
):
    manager = member_of(cast.acme, cast.manager)
    exported: set[str] = set()

    def act_json(contact):
        if exported:
            return
        with scopes_disabled():
            count = type(contact).objects.filter(workspace=cast.acme).count()
        if count < 3:
            return
        item = request_export(
            manager,
            django_capture_on_commit_callbacks,
            purpose=purpose,
            fields=["id"],
            format="json",
        )
        exported.update(row["id"] for row in file_rows("json", read_file(item)))

    assert_channel_gated(
        workspace=cast.acme,
        membership=manager,
        purpose=purpose,
        channel="exports",
        act=act_json,
        reached=lambda contact: str(contact.pk) in exported,
    )


def _people(cast):
    manager = member_of(cast.acme, cast.manager)
    officer = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        officer.is_privacy_officer = True
    made = [contact_in(manager, family=f"人{n}") for n in range(5)]
    with scope(workspace=cast.acme):
        for contact in made[:4]:
            privacy.consent_grant(
                membership=officer,
                subject_id=contact.pk,
                purpose="communication",
                channel="web_form",
            )
        privacy.consent_withdraw(
            membership=officer, subject_id=made[1].pk, purpose="communication", channel="email"
        )
        privacy.restriction_set(
            membership=officer, subject_id=made[2].pk, reason="asked", requested_by="the person"
        )
    return manager, made


def test_the_gate_says_how_many_it_left_out_and_why_before_and_after(
    cast, django_capture_on_commit_callbacks
):
    manager, _made = _people(cast)
    before = services.preview(
        membership=manager, resource="contacts", params={}, purpose="communication"
    )
    assert before.matched == 5 and before.rows == 2
    assert dict(before.excluded) == {"withdrawn": 1, "restricted": 1, "no_consent": 1}
    item = request_export(manager, django_capture_on_commit_callbacks, purpose="communication")
    assert item.excluded_before == {"withdrawn": 1, "restricted": 1, "no_consent": 1}
    assert item.excluded == {"withdrawn": 1, "restricted": 1, "no_consent": 1}
    assert item.rows == 2 and len(file_rows("csv", read_file(item))) == 3
    with scopes_disabled():
        event = AuditEvent.objects.get(action="privacy.gate.refused")
    assert event.payload["channel"] == "exports" and event.payload["refused"] == 3
    assert event.payload["reasons"] == {"withdrawn": 1, "restricted": 1, "no_consent": 1}


def test_deals_of_a_restricted_person_are_left_out(cast, django_capture_on_commit_callbacks):
    from terabox_crm.deals import services as deals

    manager = member_of(cast.acme, cast.manager)
    officer = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        officer.is_privacy_officer = True
        pipeline = deals.pipeline_create(membership=officer, name="営業")
        stage = pipeline.stages.order_by("position").first()
    people = [contact_in(manager, family=f"人{n}") for n in range(2)]
    with scope(workspace=cast.acme):
        for contact in people:
            deals.deal_create(
                membership=manager,
                data=deals.DealData(
                    name=f"案件{contact.family_name}", stage=stage, contact=contact
                ),
            )
        privacy.restriction_set(
            membership=officer, subject_id=people[1].pk, reason="asked", requested_by="the person"
        )
    item = request_export(
        manager,
        django_capture_on_commit_callbacks,
        resource="deals",
        format="json",
        fields=["name"],
    )
    assert file_rows("json", read_file(item)) == [{"name": "案件人0"}]
    assert item.excluded == {"restricted": 1}


def test_an_export_for_a_third_party_leaves_a_provision_record(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    people = [contact_in(manager, family=f"提供{n}") for n in range(2)]
    item = request_export(
        manager, django_capture_on_commit_callbacks, recipient="株式会社パートナー"
    )
    with scopes_disabled():
        record = ProvisionRecord.objects.get(reference=str(item.pk))
        subjects = set(
            ProvisionSubject.objects.filter(record=record).values_list("subject_id", flat=True)
        )
    assert record.recipient == "株式会社パートナー" and record.channel == "export"
    assert record.purpose == "support" and record.subject_count == 2
    assert subjects == {person.pk for person in people}


def test_an_export_for_the_requester_leaves_no_provision_record(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    request_export(manager, django_capture_on_commit_callbacks)
    with scopes_disabled():
        assert not ProvisionRecord.objects.exists()


# --- Approval ---------------------------------------------------------------------------


def _threshold(cast, rows: int):
    services.settings_change(membership=member_of(cast.acme, cast.owner), approval_threshold=rows)


def test_only_owners_change_the_threshold(cast):
    with pytest.raises(Refusal):
        services.settings_change(membership=member_of(cast.acme, cast.admin), approval_threshold=5)
    with pytest.raises(Refusal) as refused:
        services.settings_change(membership=member_of(cast.acme, cast.owner), approval_threshold=0)
    assert refused.value.code == "invalid_threshold"
    _threshold(cast, 5)
    assert services.settings_of(cast.acme.pk).approval_threshold == 5


def test_the_default_threshold_is_ten_thousand_rows(cast):
    assert services.settings_of(cast.acme.pk).approval_threshold == 10_000


def test_above_the_threshold_an_export_waits_for_another_admin(
    cast, django_capture_on_commit_callbacks
):
    _threshold(cast, 2)
    admin = member_of(cast.acme, cast.admin)
    for n in range(3):
        contact_in(admin, family=f"多{n}")
    item = request_export(admin, django_capture_on_commit_callbacks)
    assert item.status == "awaiting" and item.approval_required and not item.key_id
    with pytest.raises(Refusal) as refused:
        services.export_approve(membership=admin, export_id=item.pk)
    assert refused.value.code == "own_export" and refused.value.status == 403
    with scopes_disabled():
        item.refresh_from_db()
        event = AuditEvent.objects.get(action="security.export.approval_refused")
    assert item.status == "awaiting" and event.payload["reason"] == "own_export"
    with pytest.raises(Refusal):  # a manager is not an admin
        services.export_approve(membership=member_of(cast.acme, cast.manager), export_id=item.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(membership=member_of(cast.acme, cast.owner), export_id=item.pk)
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "ready" and item.rows == 3 and item.approved_by_id == cast.owner.pk


def test_at_the_threshold_no_approval_is_needed(cast, django_capture_on_commit_callbacks):
    _threshold(cast, 2)
    manager = member_of(cast.acme, cast.manager)
    for n in range(2):
        contact_in(manager, family=f"少{n}")
    assert request_export(manager, django_capture_on_commit_callbacks).status == "ready"


def test_the_export_runs_with_the_rights_of_the_requester_when_it_runs(
    cast, django_capture_on_commit_callbacks
):
    from terabox_crm.core.models import Membership

    _threshold(cast, 1)
    manager = member_of(cast.acme, cast.manager)
    for n in range(2):
        contact_in(manager, family=f"権{n}")
    item = request_export(manager, django_capture_on_commit_callbacks)
    with scopes_disabled():
        Membership.objects.filter(pk=manager.pk).update(role="viewer")
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(membership=member_of(cast.acme, cast.owner), export_id=item.pk)
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "failed" and not item.key_id
    assert Export  # the row stays as evidence
