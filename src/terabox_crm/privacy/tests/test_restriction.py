"""Restriction of use (利用停止, P7)."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.services import contact_data_of
from terabox_crm.core import policy
from terabox_crm.privacy import gate, selectors, services
from terabox_crm.privacy.models import Restriction
from terabox_crm.privacy.tests.support import make_contact, member_of, privacy_officer, restrict
from terabox_crm.refusals import Refusal


@pytest.fixture
def world(cast):
    member = member_of(cast.acme, cast.member)
    return member, make_contact(member)


def test_a_restricted_contact_is_kept_and_marked(cast, world):
    _member, contact = world
    restriction = restrict(member_of(cast.acme, cast.manager), contact)
    assert restriction.active
    with scope(workspace=cast.acme):
        assert selectors.restricted_ids(cast.acme, [contact.pk]) == {contact.pk}
        assert selectors.is_restricted(cast.acme, contact.pk)
    event = AuditEvent.objects.get(action="privacy.restriction.set")
    assert event.payload == {"subject": str(contact.pk)}  # the reason is encrypted beside the chain


def test_restricting_twice_is_refused_and_nothing_changes(cast, world):
    _member, contact = world
    manager = member_of(cast.acme, cast.manager)
    restrict(manager, contact)
    with pytest.raises(Refusal) as refused:
        restrict(manager, contact)
    assert refused.value.code == "already_restricted"
    with scope(workspace=cast.acme):
        assert Restriction.objects.count() == 1


def test_restricting_needs_a_reason_and_who_asked(cast, world):
    _member, contact = world
    with pytest.raises(Refusal) as refused:
        restrict(member_of(cast.acme, cast.manager), contact, reason=" ")
    assert refused.value.code == "reason_required"
    with pytest.raises(Refusal) as refused:
        restrict(member_of(cast.acme, cast.manager), contact, requested_by="")
    assert refused.value.code == "requested_by_required"


def test_an_erased_contact_cannot_be_restricted(cast, world, monkeypatch):
    _member, contact = world
    monkeypatch.setitem(
        gate._refusal_sources, "erased", lambda workspace_id, ids: dict.fromkeys(ids, None)
    )
    with pytest.raises(Refusal) as refused:
        restrict(member_of(cast.acme, cast.manager), contact)
    assert refused.value.code == "subject_erased"


def test_a_restricted_contact_is_read_only_except_for_privacy_officers(cast, world):
    member, contact = world
    officer = privacy_officer(cast.acme, role="admin")
    restrict(member_of(cast.acme, cast.manager), contact)
    with scope(workspace=cast.acme):
        contact.refresh_from_db()
        fresh = type(contact).objects.get(pk=contact.pk)
        assert not policy.can(member, "contacts.change", fresh)
        assert not policy.can(member_of(cast.acme, cast.owner), "contacts.change", fresh)
        assert policy.can(officer, "contacts.change", fresh)
        assert policy.can(member, "contacts.view", fresh)
        with pytest.raises(ValidationError):
            contact_services.contact_update(
                membership=member, contact=fresh, data=contact_data_of(fresh)
            )


def test_lifting_is_for_privacy_officers_and_audited(cast, world):
    _member, contact = world
    restrict(member_of(cast.acme, cast.manager), contact)
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.restriction_lift(
            membership=member_of(cast.acme, cast.admin), subject_id=contact.pk
        )
    assert refused.value.status == 403
    officer = privacy_officer(cast.acme)
    with scope(workspace=cast.acme):
        lifted = services.restriction_lift(
            membership=officer, subject_id=contact.pk, reason="本人の申出により解除"
        )
        assert not lifted.active
        assert not selectors.is_restricted(cast.acme, contact.pk)
    assert AuditEvent.objects.filter(action="privacy.restriction.lifted").exists()
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.restriction_lift(membership=officer, subject_id=contact.pk)
    assert refused.value.code == "not_restricted"
