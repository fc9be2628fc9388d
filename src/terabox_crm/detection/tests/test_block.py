"""More than 50 4xx answers a minute → a 15-minute block that lifts itself (S7)."""

import pytest

from terabox_crm.detection import rules
from terabox_crm.detection.tests.conftest import events

BLOCKED = "security.detection.address_blocked"
ATTACKER = "203.0.113.66"
pytestmark = pytest.mark.django_db


def flood(client, n, ip=ATTACKER, path="/no-such-page/", **extra):
    return [client.get(path, REMOTE_ADDR=ip, secure=True, **extra).status_code for _ in range(n)]


def test_fifty_refused_requests_are_fine_the_fifty_first_blocks(client, clock):
    assert set(flood(client, 50)) == {404}
    assert client.get("/healthz", REMOTE_ADDR=ATTACKER, secure=True).status_code == 200
    assert events(BLOCKED) == []
    assert flood(client, 1) == [404]  # the 51st is answered, and starts the block
    [event] = events(BLOCKED)
    assert event.payload["responses"] == 51
    assert event.payload["seconds"] == 900
    assert ATTACKER not in str(event.payload)
    blocked = client.get("/healthz", REMOTE_ADDR=ATTACKER, secure=True)
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "900"
    # Another address is not affected.
    assert client.get("/healthz", REMOTE_ADDR="198.51.100.1", secure=True).status_code == 200
    # Requests during the block are not counted again: one event.
    flood(client, 100)
    assert len(events(BLOCKED)) == 1


def test_the_block_lifts_itself_after_fifteen_minutes(client, clock):
    flood(client, 51)
    clock.advance(899)
    assert flood(client, 1, path="/healthz") == [429]
    clock.advance(1)
    assert flood(client, 1, path="/healthz") == [200]


def test_the_api_gets_problem_details(client, clock):
    flood(client, 51, path="/api/v1/contacts/")  # 401/403: not signed in
    response = client.get("/api/v1/contacts/", REMOTE_ADDR=ATTACKER, secure=True)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert body["type"].endswith("/throttled")
    assert (
        body["title"] == "Too many refused requests"
        or body["title"] == "拒否されたリクエストが多すぎます"
    )


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("en", "Too many refused requests", "Try again in 15 minutes."),
        ("ja", "拒否されたリクエストが多すぎます", "15分後にもう一度お試しください。"),
    ],
)
def test_the_page_is_in_the_visitors_language(client, clock, language, title, message):
    flood(client, 51)
    response = client.get("/", REMOTE_ADDR=ATTACKER, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 429
    text = response.content.decode()
    assert title in text
    assert message in text


def test_a_slow_trickle_never_blocks(client, clock):
    for _ in range(3):
        flood(client, 50)
        clock.advance(60)
    assert flood(client, 1, path="/healthz") == [200]
    assert events(BLOCKED) == []


def test_successful_answers_are_not_counted(client, clock):
    for _ in range(80):
        assert client.get("/healthz", REMOTE_ADDR=ATTACKER, secure=True).status_code == 200
    assert events(BLOCKED) == []


def test_loopback_is_never_blocked_unless_configured(client, clock, settings):
    assert set(flood(client, 80, ip="127.0.0.1")) == {404}
    assert set(flood(client, 80, ip="::1")) == {404}
    assert events(BLOCKED) == []
    settings.DETECTION_BLOCK_LOOPBACK = True
    flood(client, 51, ip="127.0.0.1")
    assert flood(client, 1, ip="127.0.0.1", path="/healthz") == [429]


def test_every_process_sees_the_block_through_redis(client, clock, two_redis_clients):
    flood(client, 51)  # counted through two Redis clients in turn
    assert len(events(BLOCKED)) == 1
    for store in two_redis_clients:  # each "process" reads the block
        assert store.get(f"det:block:{rules.opaque('ip', ATTACKER)}") == rules.now() + 900
    assert rules.blocked_for(ATTACKER) == 900


def test_an_operator_can_lift_a_block(client, clock):
    flood(client, 51)
    assert rules.unblock(ATTACKER)
    assert flood(client, 1, path="/healthz") == [200]


def test_a_burst_across_the_turn_of_a_minute_counts_whole(client, clock):
    clock.advance(50)
    flood(client, 30)
    clock.advance(15)  # the next minute by the clock, the same minute for the attacker
    flood(client, 21)
    assert flood(client, 1, path="/healthz") == [429]
    assert len(events(BLOCKED)) == 1
