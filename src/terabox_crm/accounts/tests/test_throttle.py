"""Sign-in throttling with the SPEC S7 numbers, time moved by a fake clock."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.urls import reverse

from terabox_crm.accounts import throttle
from terabox_crm.accounts.tests.conftest import events, sign_in

WRONG = "not the password at all"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self, start: float = T0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limiter(clock):
    return throttle.LoginThrottle(cache=caches["default"], clock=clock)


# --- The rules, on the throttle itself ----------------------------------------------------


def test_four_failures_on_an_account_do_not_lock_it(limiter):
    for _ in range(4):
        assert limiter.failure(ip="192.0.2.1", email="a@example.com") == []
    assert limiter.check(ip="192.0.2.1", email="a@example.com") is None


def test_fifth_failure_within_five_minutes_starts_a_fifteen_minute_cool_off(limiter, clock):
    for _ in range(4):
        limiter.failure(ip="192.0.2.1", email="a@example.com")
        clock.advance(70)  # 4 x 70 s = 280 s: still inside the window
    [started] = limiter.failure(ip="192.0.2.1", email="a@example.com")
    assert (started.scope, started.reason, started.retry_after) == ("account", "failures", 900)
    refusal = limiter.check(ip="192.0.2.9", email="a@example.com")
    assert refusal.scope == "account"
    assert refusal.retry_after == 900


def test_five_failures_spread_over_more_than_five_minutes_do_not_lock(limiter, clock):
    for _ in range(5):
        assert limiter.failure(ip="192.0.2.1", email="a@example.com") == []
        clock.advance(80)  # 5 failures over 320 s: never 5 inside 300 s
    assert limiter.check(ip="192.0.2.1", email="a@example.com") is None


def test_cool_off_ends_after_fifteen_minutes_and_is_never_extended(limiter, clock):
    for _ in range(5):
        limiter.failure(ip="192.0.2.1", email="a@example.com")
    clock.advance(600)
    assert limiter.check(ip="192.0.2.2", email="a@example.com").retry_after == 300
    clock.advance(299)
    assert limiter.check(ip="192.0.2.2", email="a@example.com").retry_after == 1
    clock.advance(2)
    assert limiter.check(ip="192.0.2.2", email="a@example.com") is None


def test_the_lock_is_per_account(limiter):
    for _ in range(5):
        limiter.failure(ip="192.0.2.1", email="a@example.com")
    assert limiter.check(ip="192.0.2.3", email="b@example.com") is None


def test_account_is_the_normalised_email(limiter):
    for _ in range(5):
        limiter.failure(ip="192.0.2.1", email="  A@Example.COM ")
    assert limiter.check(ip="192.0.2.3", email="a@example.com").scope == "account"


def test_success_forgets_earlier_failures(limiter):
    for _ in range(4):
        limiter.failure(ip="192.0.2.1", email="a@example.com")
    limiter.success(email="a@example.com")
    assert limiter.failure(ip="192.0.2.1", email="a@example.com") == []


def test_ten_failures_a_minute_from_one_ip_block_it_for_a_minute(limiter, clock):
    for i in range(9):
        assert limiter.failure(ip="198.51.100.7", email=f"u{i}@example.com") == []
        clock.advance(5)
    [started] = limiter.failure(ip="198.51.100.7", email="u9@example.com")
    assert (started.scope, started.reason, started.retry_after) == ("ip", "failures", 60)
    assert limiter.check(ip="198.51.100.7").retry_after == 60
    assert limiter.check(ip="198.51.100.8") is None
    clock.advance(61)
    assert limiter.check(ip="198.51.100.7") is None


def test_ten_failures_spread_over_more_than_a_minute_do_not_block(limiter, clock):
    for i in range(10):
        assert limiter.failure(ip="198.51.100.7", email=f"u{i}@example.com") == []
        clock.advance(7)  # 70 s in all
    assert limiter.check(ip="198.51.100.7") is None


def test_thirty_attempts_a_minute_are_allowed_the_thirty_first_is_not(limiter, clock):
    for _ in range(30):
        assert limiter.attempt(ip="198.51.100.7") is None
        clock.advance(1.9)
    refusal = limiter.attempt(ip="198.51.100.7")
    assert (refusal.scope, refusal.reason, refusal.retry_after) == ("ip", "attempts", 60)
    assert limiter.check(ip="198.51.100.7").retry_after == 60


def test_cache_keys_hold_neither_email_nor_ip(clock):
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("throttle-keys", {})
    throttle.LoginThrottle(cache=cache, clock=clock).failure(
        ip="198.51.100.77", email="secret.person@example.com"
    )
    keys = " ".join(cache._cache.keys())
    assert "throttle:login" in keys
    assert "secret" not in keys
    assert "example.com" not in keys
    assert "198.51.100.77" not in keys


# --- Through the sign-in page ----------------------------------------------------------------


def _lock(client, email, ip="203.0.113.5"):
    responses = [sign_in(client, email, WRONG, REMOTE_ADDR=ip) for _ in range(5)]
    return responses


def test_fifth_wrong_password_answers_429_with_retry_after(client, cast):
    responses = _lock(client, cast.member.email)
    assert [r.status_code for r in responses] == [400, 400, 400, 400, 429]
    assert responses[-1]["Retry-After"] == "900"


def test_right_password_during_cool_off_gets_the_same_refusal_as_a_wrong_one(client, cast):
    _lock(client, cast.member.email)
    right = sign_in(
        client,
        cast.member.email,
        cast.password,
        REMOTE_ADDR="203.0.113.6",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    wrong = sign_in(
        client, cast.member.email, WRONG, REMOTE_ADDR="203.0.113.6", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert right.status_code == wrong.status_code == 429
    assert right["Retry-After"] == wrong["Retry-After"]
    assert "signing in is paused for 15 minutes" in right.text
    assert _same_message(right, wrong)
    assert SESSION_KEY not in client.session


def _same_message(a, b) -> bool:
    import re

    pattern = re.compile(r'<ul class="errors" role="alert"><li>(.*?)</li></ul>', re.S)
    return pattern.search(a.text).group(1) == pattern.search(b.text).group(1)


def test_cool_off_message_in_japanese(client, cast):
    _lock(client, cast.member.email)
    response = sign_in(client, cast.member.email, cast.password, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 429
    assert "15分間" in response.text


def test_unknown_email_is_throttled_exactly_like_a_real_one(client, cast):
    real = _lock(client, cast.member.email, ip="203.0.113.10")
    unknown = _lock(client, "nobody@acme.example", ip="203.0.113.11")
    assert [r.status_code for r in real] == [r.status_code for r in unknown]
    assert real[-1]["Retry-After"] == unknown[-1]["Retry-After"]


def test_sign_in_works_again_after_the_cool_off(client, cast):
    _lock(client, cast.member.email)
    later = throttle.now() + throttle.ACCOUNT_COOL_OFF + 1
    with mock.patch.object(throttle, "now", return_value=later):
        response = sign_in(client, cast.member.email, cast.password)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(cast.member.pk)


def test_cool_off_is_recorded_as_a_security_event_in_the_members_workspace(client, cast):
    _lock(client, cast.member.email)
    [event] = events("security.login.throttled")
    assert event.actor_id == cast.member.pk
    assert event.chain == str(cast.acme.pk)
    assert event.payload == {"scope": "account", "reason": "failures", "seconds": 900}
    assert len(events("security.login.failed")) == 5


def test_ten_failures_from_one_ip_answer_429_for_that_ip_only(client, cast):
    statuses = [
        sign_in(client, f"person{i}@example.com", WRONG, REMOTE_ADDR="198.51.100.20").status_code
        for i in range(10)
    ]
    assert statuses == [400] * 9 + [429]
    blocked = sign_in(client, cast.member.email, cast.password, REMOTE_ADDR="198.51.100.20")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    elsewhere = sign_in(client, cast.member.email, cast.password, REMOTE_ADDR="198.51.100.21")
    assert elsewhere.status_code == 302
    [event] = events("security.login.throttled")
    assert event.actor_id is None
    assert event.payload["scope"] == "ip"


def test_thirty_first_attempt_in_a_minute_answers_429(client, cast):
    limiter = throttle.default()
    for _ in range(30):
        assert limiter.attempt(ip="198.51.100.30") is None
    response = sign_in(
        client,
        cast.member.email,
        cast.password,
        REMOTE_ADDR="198.51.100.30",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many sign-in attempts from your network" in response.text
    assert SESSION_KEY not in client.session


def test_second_factor_failures_count_toward_the_account_lock(client, cast):
    from terabox_crm.accounts.tests.conftest import enrol

    enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    statuses = [
        client.post(reverse("accounts:login_verify"), {"code": "000000"}).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    # The half-done sign-in is gone, and the account is cooling off.
    assert sign_in(client, cast.member.email, cast.password).status_code == 429


# --- Shared across processes -----------------------------------------------------------------


def _redis_cache(location: str, prefix: str):
    from django.core.cache.backends.redis import RedisCache

    return RedisCache(location, {"KEY_PREFIX": prefix})


@pytest.fixture
def redis_location():
    location = "redis://127.0.0.1:6379/15"
    try:
        import redis

        redis.Redis.from_url(location, socket_connect_timeout=1).ping()
    except Exception:  # any failure to reach it: nothing to test against
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return location


def test_two_processes_share_the_counters_through_redis(redis_location, settings, clock):
    prefix = f"tbx-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_location,
            "KEY_PREFIX": prefix,
        }
    }
    # Two separate clients, as two worker processes would have.
    first = throttle.LoginThrottle(cache=_redis_cache(redis_location, prefix), clock=clock)
    second = throttle.LoginThrottle(cache=_redis_cache(redis_location, prefix), clock=clock)
    assert first.cache is not second.cache

    for _ in range(3):
        assert first.failure(ip="192.0.2.50", email="shared@example.com") == []
    assert second.failure(ip="192.0.2.51", email="shared@example.com") == []
    [started] = second.failure(ip="192.0.2.51", email="shared@example.com")
    assert started.scope == "account"
    assert first.check(ip="192.0.2.52", email="shared@example.com").retry_after == 900
    # And the default throttle of this process, on settings.CACHES, reads the same Redis.
    with mock.patch.object(throttle, "now", clock):
        assert throttle.default().check(ip="192.0.2.53", email="shared@example.com").scope == (
            "account"
        )
    import redis

    client = redis.Redis.from_url(redis_location)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
