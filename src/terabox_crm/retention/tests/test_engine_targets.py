"""Targets of the engines below the privacy layer: audit details, security
events' network details, sessions, notifications (P5, S5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import UserSession
from terabox_crm.audit.chain import open_detail
from terabox_crm.audit.models import AuditDetail, AuditEvent
from terabox_crm.audit.verify import verify_all
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.notifications.models import Notification
from terabox_crm.retention import engine, services
from terabox_crm.retention.tests.support import make_contact

pytestmark = pytest.mark.django_db


def _age_events(**filters) -> None:
    """Make these events old: the table is append-only, so this goes through
    the raw connection inside the maintenance window (test set-up only)."""
    from terabox_crm.audit.maintenance import maintenance_window

    with maintenance_window(reason="test: ageing events"):
        AuditEvent.objects.filter(**filters).update(
            created_at=timezone.now() - timedelta(days=2000)
        )


def _details_of(subject_id):
    return list(AuditDetail.objects.filter(subject=f"subject:{subject_id}").select_related("event"))


def test_old_audit_details_are_shredded_and_the_chain_still_verifies(cast):
    old = make_contact(cast.owner_membership, family="旧姓")
    recent = make_contact(cast.owner_membership, family="新姓")
    _age_events(object_id=str(old.pk))
    assert all(open_detail(d) is not None for d in _details_of(old.pk))
    services.rule_set(
        membership=cast.owner_membership,
        target="audit.details",
        days=1825,
        action="shred",
        enabled=True,
    )

    run = engine.run(workspace_ids=[cast.acme.pk])

    keyring.reset_cache()
    assert _details_of(old.pk) and all(open_detail(d) is None for d in _details_of(old.pk))
    assert all(open_detail(d) is not None for d in _details_of(recent.pk))
    assert run.removed_in(cast.acme.pk)["audit.details"] == 1
    # The details stay (their digests are chained); only their key is gone.
    # (Ageing rewrote the events' times, so the chain verification is the
    # next test's, on events that were not aged.)


def test_shredding_leaves_the_chain_verifiable(cast):
    """Without ageing anything: a period of 0 days is refused, so shred
    directly through the target with a cutoff in the future."""
    from terabox_crm.retention import registry

    contact = make_contact(cast.owner_membership, family="鎖")
    target = registry.get("audit.details")
    keys = target.pending(
        workspace_id=cast.acme.pk, cutoff=timezone.now() + timedelta(days=1), held=[]
    )
    key_ids = list(keys.values_list("pk", flat=True))
    assert key_ids
    target.apply(workspace_id=cast.acme.pk, ids=key_ids, action="shred")
    keyring.reset_cache()
    assert all(open_detail(d) is None for d in _details_of(contact.pk))
    assert all(report.ok for report in verify_all())


def test_user_keys_and_held_contacts_keep_their_audit_details(cast):
    from terabox_crm.retention import registry

    held = make_contact(cast.owner_membership, family="保全")
    services.hold_set(membership=cast.owner_membership, subject_id=held.pk, reason="調査中")
    target = registry.get("audit.details")
    keys = target.pending(
        workspace_id=cast.acme.pk,
        cutoff=timezone.now() + timedelta(days=1),
        held=engine.held_subjects(cast.acme.pk),
    )
    scopes = set(keys.values_list("scope", flat=True))
    assert f"subject:{held.pk}" not in scopes
    assert f"subject:{cast.owner.pk}" not in scopes


def test_monthly_keys_of_anonymous_security_events_are_destroyed_after_a_year(db):
    old = keyring.create_key("subject:anon-2020-01", "encryption")
    this_month = keyring.create_key(f"subject:anon-{timezone.now():%Y-%m}", "encryption")

    engine.run()

    statuses = dict(DataKey.objects.values_list("key_id", "status"))
    assert statuses[old.key_id] == DataKey.Status.DESTROYED
    assert statuses[this_month.key_id] == DataKey.Status.ACTIVE


def test_old_sessions_and_notifications_go(cast):
    now = timezone.now()
    stale = UserSession.objects.create(
        user=cast.member, key_hash="a" * 40, last_seen_at=now - timedelta(days=3)
    )
    live = UserSession.objects.create(user=cast.member, key_hash="b" * 40, last_seen_at=now)
    read_old = Notification.objects.create(
        user=cast.member, kind="x", read_at=now - timedelta(days=100)
    )
    unread_old = Notification.objects.create(
        user=cast.member, kind="x", created_at=now - timedelta(days=400)
    )
    fresh = Notification.objects.create(user=cast.member, kind="x")

    run = engine.run()

    assert set(UserSession.objects.values_list("pk", flat=True)) == {live.pk}
    assert set(Notification.objects.values_list("pk", flat=True)) == {fresh.pk}
    removed = run.removed_in(None)
    assert (removed["accounts.sessions"], removed["notifications.read"]) == (1, 1)
    assert removed["notifications.all"] == 1
    assert not UserSession.objects.filter(pk=stale.pk).exists()
    assert not Notification.objects.filter(pk__in=[read_old.pk, unread_old.pk]).exists()
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="retention.batch.applied", chain="system").exists()
