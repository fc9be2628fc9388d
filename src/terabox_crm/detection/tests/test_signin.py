"""Credential stuffing and one account failing from many addresses (S7)."""

import pytest
from django.urls import reverse

from terabox_crm.accounts import throttle
from terabox_crm.audit.chain import SYSTEM_CHAIN
from terabox_crm.detection import rules
from terabox_crm.detection.tests.conftest import events

STUFFING = "security.detection.credential_stuffing"
MANY_IPS = "security.detection.account_many_ips"
pytestmark = pytest.mark.django_db


def fail(ip, n, *, start=0, **kwargs):
    for i in range(start, start + n):
        rules.login_failed(ip=ip, account=throttle.account_id(f"user{i}@example.com"), **kwargs)


def test_twenty_accounts_failing_from_one_address_raise_one_event(clock):
    fail("203.0.113.7", 19)
    assert events(STUFFING) == []
    fail("203.0.113.7", 1, start=19)
    [event] = events(STUFFING)
    assert event.chain == SYSTEM_CHAIN
    assert event.payload["scope"] == "address"
    assert event.payload["accounts"] == 20
    assert event.payload["window_seconds"] == 600
    # No address or email in the chained payload: an opaque source id only.
    assert "203.0.113" not in str(event.payload)
    assert "@" not in str(event.payload)
    # Raised once per window, not once per failure.
    fail("203.0.113.7", 30, start=20)
    assert len(events(STUFFING)) == 1


def test_one_account_failing_again_and_again_is_not_stuffing(clock):
    for _ in range(40):
        rules.login_failed(ip="203.0.113.8", account=throttle.account_id("same@example.com"))
    assert events(STUFFING) == []


@pytest.mark.parametrize(
    "addresses",
    [
        [f"198.51.100.{i}" for i in range(1, 21)],  # one IPv4 /24
        [f"2001:db8:1:2::{i:x}" for i in range(1, 21)],  # one IPv6 /64
    ],
)
def test_twenty_accounts_from_one_network_raise_a_network_event(clock, addresses):
    for i, ip in enumerate(addresses):
        fail(ip, 1, start=i)
    [event] = events(STUFFING)
    assert event.payload["scope"] == "network"
    assert event.payload["accounts"] == 20


def test_other_networks_do_not_add_up(clock):
    for i in range(20):
        fail(f"192.0.{i}.1", 1, start=i)  # twenty different /24s
    assert events(STUFFING) == []


def test_the_window_is_ten_minutes_and_a_new_one_raises_again(clock):
    fail("203.0.113.9", 19)
    clock.advance(600)
    fail("203.0.113.9", 19, start=100)
    assert events(STUFFING) == []  # 19 + 19 in two windows
    fail("203.0.113.9", 1, start=200)
    assert len(events(STUFFING)) == 1
    clock.advance(600)
    fail("203.0.113.9", 20, start=300)
    assert len(events(STUFFING)) == 2


def test_ipv4_and_ipv6_networks():
    assert rules.network_of("203.0.113.77") == "203.0.113.0/24"
    assert rules.network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert rules.network_of("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert rules.network_of("not an address") == "not an address"


def test_one_account_failing_from_five_addresses_goes_to_its_workspace(clock, cast):
    account = throttle.account_id(cast.member.email)
    for i in range(4):
        rules.login_failed(
            ip=f"192.0.2.{i}", account=account, actor=cast.member, workspace=cast.acme
        )
    assert events(MANY_IPS) == []
    rules.login_failed(ip="192.0.2.99", account=account, actor=cast.member, workspace=cast.acme)
    [event] = events(MANY_IPS)
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.member.pk
    assert event.payload["addresses"] == 5
    assert cast.member.email not in str(event.payload)


def test_failed_sign_ins_through_the_page_are_counted(client, cast, clock):
    """The accounts hook: five wrong passwords for one account from five addresses."""
    for i in range(5):
        response = client.post(
            reverse("accounts:login"),
            {"email": cast.member.email, "password": "wrong password"},
            REMOTE_ADDR=f"198.51.100.{10 + i}",
        )
        assert response.status_code in (400, 429)
    [event] = events(MANY_IPS)
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.member.pk


def test_unknown_accounts_count_on_the_system_chain(client, db, clock):
    for i in range(20):
        client.post(
            reverse("accounts:login"),
            {"email": f"nobody{i}@example.com", "password": "guess"},
            REMOTE_ADDR=f"203.0.113.{i + 1}",
        )
    [event] = events(STUFFING)
    assert event.chain == SYSTEM_CHAIN
    assert event.payload["scope"] == "network"


def test_two_processes_share_the_counts_through_redis(clock, two_redis_clients, db):
    # Each failure goes through one of two separate Redis clients in turn.
    fail("203.0.113.60", 20)
    [event] = events(STUFFING)
    assert event.payload["accounts"] == 20
    fail("203.0.113.60", 10, start=20)
    assert len(events(STUFFING)) == 1
