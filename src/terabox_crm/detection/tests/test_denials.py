"""Bursts of refused accesses (S7): more than 20 in 10 minutes."""

import pytest
from django.db import transaction

from terabox_crm import refusals
from terabox_crm.detection.tests.conftest import events

BURST = "security.detection.denial_burst"
pytestmark = pytest.mark.django_db


def deny(cast, n, actor=None):
    for _ in range(n):
        refusals.denial("contacts.view", actor=actor or cast.member, workspace=cast.acme)


def test_twenty_one_denials_raise_one_event(clock, cast):
    deny(cast, 20)
    assert events(BURST) == []
    deny(cast, 1)
    [event] = events(BURST)
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.member.pk
    assert event.payload == {"denials": 21, "window_seconds": 600}
    deny(cast, 60)  # past the budget of recorded denials, still one event
    assert len(events(BURST)) == 1


def test_denials_of_different_members_do_not_add_up(clock, cast):
    deny(cast, 15)
    deny(cast, 15, actor=cast.viewer)
    assert events(BURST) == []


def test_a_new_window_starts_over(clock, cast):
    deny(cast, 20)
    clock.advance(600)
    deny(cast, 20)
    assert events(BURST) == []


def test_the_event_survives_the_rollback_of_a_refusing_service(clock, cast):
    @refusals.recorded_after_rollback
    @transaction.atomic
    def service():
        raise refusals.denial("contacts.change", actor=cast.member, workspace=cast.acme)

    deny(cast, 20)
    with pytest.raises(refusals.Refusal):
        service()
    assert len(events(BURST)) == 1


def test_a_refused_page_is_counted(client, cast, clock):
    from terabox_crm.testing.auth import login

    login(client, cast.viewer)
    for _ in range(21):
        assert client.get("/audit/", secure=True).status_code == 403
    [event] = events(BURST)
    assert event.actor_id == cast.viewer.pk


def test_two_processes_share_the_denial_counts_through_redis(clock, cast, two_redis_clients):
    deny(cast, 21)
    assert len(events(BURST)) == 1


def test_a_broken_alert_does_not_fail_the_request(clock, cast, caplog):
    from terabox_crm.detection.signals import raised

    def broken(sender, **kwargs):
        raise RuntimeError("queue down")

    raised.connect(broken, dispatch_uid="test.broken")
    try:
        deny(cast, 21)  # no exception reaches the caller
    finally:
        raised.disconnect(dispatch_uid="test.broken")
    assert len(events(BURST)) == 1
    assert "queue down" in caplog.text
