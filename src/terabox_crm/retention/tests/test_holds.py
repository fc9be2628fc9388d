"""Legal holds: set, lift, refusals, audit (P5)."""

from __future__ import annotations

import uuid

import pytest
from django_scopes import scopes_disabled

from terabox_crm.audit.chain import open_detail
from terabox_crm.audit.models import AuditEvent
from terabox_crm.refusals import Refusal
from terabox_crm.retention import selectors, services
from terabox_crm.retention.models import LegalHold
from terabox_crm.retention.tests.support import make_contact

pytestmark = pytest.mark.django_db


def test_a_hold_is_set_lifted_and_audited(cast):
    contact = make_contact(cast.owner_membership)
    hold = services.hold_set(
        membership=cast.admin_membership, subject_id=contact.pk, reason="訴訟 2026(ワ)123"
    )
    assert selectors.active_hold(membership=cast.member_membership, subject_id=contact.pk) == hold
    event = AuditEvent.objects.get(action="retention.hold.set")
    assert event.payload == {"subject_id": str(contact.pk)}
    assert "訴訟" not in str(event.payload)
    assert open_detail(event.detail)["personal"] == {"reason": "訴訟 2026(ワ)123"}

    services.hold_lift(membership=cast.admin_membership, hold=hold)

    assert selectors.active_hold(membership=cast.member_membership, subject_id=contact.pk) is None
    assert AuditEvent.objects.filter(action="retention.hold.lifted").exists()
    assert len(selectors.holds_of(membership=cast.admin_membership, subject_id=contact.pk)) == 1


def test_a_hold_needs_a_reason(cast):
    contact = make_contact(cast.owner_membership)
    with pytest.raises(Refusal) as refused:
        services.hold_set(membership=cast.admin_membership, subject_id=contact.pk, reason="  ")
    assert refused.value.code == "reason_required"
    with scopes_disabled():
        assert not LegalHold.objects.exists()


def test_a_contact_is_held_once(cast):
    contact = make_contact(cast.owner_membership)
    services.hold_set(membership=cast.admin_membership, subject_id=contact.pk, reason="a")
    with pytest.raises(Refusal) as refused:
        services.hold_set(membership=cast.admin_membership, subject_id=contact.pk, reason="b")
    assert refused.value.code == "already_held"
    with scopes_disabled():
        assert LegalHold.objects.count() == 1


def test_lifting_twice_is_refused(cast):
    contact = make_contact(cast.owner_membership)
    hold = services.hold_set(membership=cast.admin_membership, subject_id=contact.pk, reason="a")
    services.hold_lift(membership=cast.admin_membership, hold=hold)
    with pytest.raises(Refusal) as refused:
        services.hold_lift(membership=cast.admin_membership, hold=hold)
    assert refused.value.code == "already_lifted"


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_admins_and_privacy_officers_hold(cast, role):
    contact = make_contact(cast.owner_membership)
    with pytest.raises(Refusal) as refused:
        services.hold_set(
            membership=getattr(cast, f"{role}_membership"), subject_id=contact.pk, reason="a"
        )
    assert refused.value.status == 403


def test_an_unknown_or_foreign_contact_is_not_found(cast):
    foreign = make_contact(cast.outsider_membership, family="他社")
    for subject_id in (foreign.pk, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Refusal) as refused:
            services.hold_set(membership=cast.admin_membership, subject_id=subject_id, reason="a")
        assert refused.value.status == 404
    with scopes_disabled():
        assert not LegalHold.objects.exists()


def test_a_hold_of_another_workspace_cannot_be_lifted(cast):
    foreign = make_contact(cast.outsider_membership, family="他社")
    hold = services.hold_set(membership=cast.outsider_membership, subject_id=foreign.pk, reason="a")
    with pytest.raises(Refusal) as refused:
        services.hold_lift(membership=cast.admin_membership, hold=hold)
    assert refused.value.status == 404
    hold.refresh_from_db()
    assert hold.lifted_at is None
