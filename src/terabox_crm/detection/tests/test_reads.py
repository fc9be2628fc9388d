"""Mass reads and bursts above a member's own baseline (S7)."""

from unittest import mock

import pytest
from django.urls import reverse

from terabox_crm import detection
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.detection import counters, rules
from terabox_crm.detection.tests.conftest import events
from terabox_crm.testing.auth import login

MASS = "security.detection.mass_read"
BURST = "security.detection.read_burst"
pytestmark = pytest.mark.django_db


def test_more_than_five_thousand_rows_in_ten_minutes_raise_one_event(clock, cast):
    membership = cast.member_membership
    for _ in range(100):
        detection.count_reads(membership, 50)  # 100 list pages of 50: 5,000 rows
    assert events(MASS) == []
    detection.count_reads(membership, 1)
    [event] = events(MASS)
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.member.pk
    assert event.payload == {"membership": str(membership.pk), "rows": 5001, "window_seconds": 600}
    for _ in range(50):
        detection.count_reads(membership, 50)
    assert len(events(MASS)) == 1  # once per window
    clock.advance(600)
    detection.count_reads(membership, 5001)
    assert len(events(MASS)) == 2


def test_members_are_counted_apart(clock, cast):
    detection.count_reads(cast.member_membership, 3000)
    detection.count_reads(cast.admin_membership, 3000)
    assert events(MASS) == []


def _history(membership, clock, rows_per_hour: int) -> None:
    """``rows_per_hour`` reads in each of the 24 hours before the current one."""
    store = counters.default()
    hour = int(clock() // 3600)
    for h in range(hour - 24, hour):
        store.bump(f"det:readh:{membership.pk}:{h}", rows_per_hour, ttl=86400 * 2)


def test_the_baseline_is_the_mean_per_ten_minutes_of_the_last_24_hours(clock, cast):
    membership = cast.member_membership
    _history(membership, clock, 1200)  # 200 rows per 10 minutes
    assert rules.baseline(str(membership.pk)) == 200


def test_a_burst_ten_times_the_baseline_raises_an_event(clock, cast):
    membership = cast.member_membership
    _history(membership, clock, 1200)  # baseline 200: a burst is 2,000 rows
    detection.count_reads(membership, 1999)
    assert events(BURST) == []
    detection.count_reads(membership, 1)
    [event] = events(BURST)
    assert event.payload["rows"] == 2000
    assert event.payload["baseline"] == 200
    detection.count_reads(membership, 500)
    assert len(events(BURST)) == 1


def test_without_history_the_floor_decides(clock, cast):
    membership = cast.member_membership
    detection.count_reads(membership, 999)
    assert events(BURST) == []
    detection.count_reads(membership, 1)
    assert events(BURST)[0].payload["baseline"] == 0


def test_a_heavy_reader_is_judged_against_their_own_habit(clock, cast):
    membership = cast.member_membership
    _history(membership, clock, 2400)  # baseline 400: 4,000 rows are their normal x10
    detection.count_reads(membership, 3999)
    assert events(BURST) == []


def test_the_current_burst_does_not_raise_its_own_baseline(clock, cast):
    membership = cast.member_membership
    detection.count_reads(membership, 900)  # this hour: not in the baseline
    assert rules.baseline(str(membership.pk)) == 0


def test_the_contact_list_detail_and_api_count_rows(client, cast, clock):
    membership = member_of(cast.acme, cast.member)
    contacts = [make_contact(membership, given=f"花子{i}") for i in range(3)]
    login(client, cast.member)
    with mock.patch.object(rules, "MASS_READ_ROWS", 8):
        assert client.get(reverse("contacts:list"), secure=True).status_code == 200  # 3
        url = reverse("contacts:detail", args=[contacts[0].pk])
        assert client.get(url, secure=True).status_code == 200  # 4
        assert client.get("/api/v1/contacts/", secure=True).status_code == 200  # 7
        assert events(MASS) == []
        detail = f"/api/v1/contacts/{contacts[1].pk}/"
        assert client.get(detail, secure=True).status_code == 200  # 8
        assert events(MASS) == []
        assert client.get(detail, secure=True).status_code == 200  # 9
    [event] = events(MASS)
    assert event.payload["rows"] == 9
    assert event.actor_id == cast.member.pk


def test_nothing_is_counted_without_a_membership():
    assert detection.count_reads(None, 10_000) == []


def test_two_processes_share_the_read_counts_through_redis(clock, cast, two_redis_clients):
    membership = cast.member_membership
    _history(membership, clock, 60_000)  # baseline 10,000: no burst below 100,000
    for _ in range(100):
        detection.count_reads(membership, 50)  # through two Redis clients in turn
    assert events(MASS) == []
    detection.count_reads(membership, 1)
    [event] = events(MASS)
    assert event.payload["rows"] == 5001
    assert events(BURST) == []
    assert rules.baseline(str(membership.pk)) == 10_000
