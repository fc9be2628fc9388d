"""The inventory's promises for a request's address, kept by the retention
engine (P5, P9): closed requests are anonymised after the audit period and
stay as evidence; public-page submissions go after the invitation period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.dsr import services
from terabox_crm.dsr.models import PrivacyRequest, Reply, StatusChange, Submission
from terabox_crm.dsr.tests.helpers import make_officer
from terabox_crm.dsr.tests.test_flow import _request
from terabox_crm.inventory import RETENTION
from terabox_crm.retention import engine
from terabox_crm.retention import services as retention_services

pytestmark = pytest.mark.django_db

AUDIT_DAYS = RETENTION["audit"].days


def _closed(cast, address, days_ago, *, status="done"):
    item, contact = _request(cast, address=address)
    officer = make_officer(cast.member_membership)
    services.request_reply(membership=officer, request=item, body=f"Dear {address}")
    services.request_set_status(
        membership=officer, request=item, status=status, note=f"Erased {address}"
    )
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.filter(pk=item.pk).update(
            closed_at=timezone.now() - timedelta(days=days_ago)
        )
    return item, contact


def _raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex])  # nosec B608
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_closed_request_past_the_period_loses_the_address_and_keeps_its_record(cast):
    old, _c = _closed(cast, "old@example.jp", AUDIT_DAYS + 1)
    recent, _c2 = _closed(cast, "recent@example.jp", AUDIT_DAYS - 1)
    still_open, _c3 = _request(cast, address="open@example.jp")
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.filter(pk=still_open.pk).update(
            received_at=timezone.now() - timedelta(days=AUDIT_DAYS + 10)
        )

    run = engine.run(workspace_ids=[cast.acme.pk])

    assert run.removed_in(cast.acme.pk).get("dsr.closed_requests") == 1
    with scope(workspace=cast.acme):
        kept = PrivacyRequest.objects.get(pk=old.pk)
        assert (kept.email, kept.email_index, kept.details, kept.outcome) == ("", "", "", "")
        assert (kept.number, kept.kind, kept.status) == (old.number, "deletion", "done")
        assert kept.received_at == old.received_at and kept.closed_at is not None
        history = list(StatusChange.objects.filter(request=kept))
        assert [h.to_status for h in history] == ["new", "done"]
        assert all(h.note == "" for h in history)
        assert [r.body for r in Reply.objects.filter(request=kept)] == [""]
        assert PrivacyRequest.objects.get(pk=recent.pk).email == "recent@example.jp"
        assert PrivacyRequest.objects.get(pk=still_open.pk).email == "open@example.jp"
    # The ciphertext itself is gone, not only unreadable.
    assert _raw("dsr_privacyrequest", "email", old.pk) == ""
    assert _raw("dsr_privacyrequest", "email", recent.pk).startswith("v1:")
    assert AuditEvent.objects.filter(action="retention.batch.applied").exists()
    # A second run finds nothing more to do.
    again = engine.run(workspace_ids=[cast.acme.pk])
    assert again.removed_in(cast.acme.pk).get("dsr.closed_requests", 0) == 0


def test_a_request_about_a_held_contact_is_kept(cast):
    item, contact = _closed(cast, "held@example.jp", AUDIT_DAYS + 1, status="refused")
    retention_services.hold_set(
        membership=cast.owner_membership, subject_id=contact.pk, reason="訴訟対応"
    )
    engine.run(workspace_ids=[cast.acme.pk])
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.get(pk=item.pk).email == "held@example.jp"


def test_submissions_go_after_their_promise_even_when_no_link_was_sent(cast):
    now = timezone.now()
    with scopes_disabled():
        expired = Submission.objects.create(
            kind="access",
            email="a@example.jp",
            email_index="a",
            expires_at=now - timedelta(days=31),
        )
        never_sent = Submission.objects.create(kind="access", email="b@example.jp", email_index="b")
        Submission.objects.filter(pk=never_sent.pk).update(created_at=now - timedelta(days=31))
        fresh = Submission.objects.create(
            kind="access", email="c@example.jp", email_index="c", expires_at=now - timedelta(days=2)
        )

    engine.run(workspace_ids=[cast.acme.pk])

    with scopes_disabled():
        assert list(Submission.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not Submission.objects.filter(pk__in=[expired.pk, never_sent.pk]).exists()


def test_a_recorded_request_loses_how_identity_was_checked_with_the_address(cast):
    """A request recorded from a call keeps the officer's identity check
    (personal: it may name a number or a document) only as long as the
    address; its channel and who recorded it stay as evidence."""
    officer = make_officer(cast.member_membership)
    item = services.request_record(
        membership=officer,
        kind="access",
        channel="phone",
        email="caller@example.jp",
        identity_check="Called back on 090-0000-0000.",
    )
    services.request_set_status(membership=officer, request=item, status="done", note="Sent.")
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.filter(pk=item.pk).update(
            closed_at=timezone.now() - timedelta(days=AUDIT_DAYS + 1)
        )

    engine.run(workspace_ids=[cast.acme.pk])

    with scope(workspace=cast.acme):
        kept = PrivacyRequest.objects.get(pk=item.pk)
    assert (kept.email, kept.identity_check) == ("", "")
    assert (kept.channel, kept.recorded_by_id) == ("phone", cast.member.pk)
    assert _raw("dsr_privacyrequest", "identity_check", item.pk) == ""
