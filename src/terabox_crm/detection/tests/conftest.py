import uuid
from unittest import mock

import pytest
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.detection import rules

T0 = 1_800_000_000.0  # a multiple of 600: a fresh 10-minute window starts here


class Clock:
    def __init__(self, start: float = T0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@pytest.fixture
def clock():
    clock = Clock()
    with mock.patch.object(rules, "now", clock):
        yield clock


def events(action, **filters):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


@pytest.fixture
def redis_location():
    location = "redis://127.0.0.1:6379/15"
    try:
        import redis

        redis.Redis.from_url(location, socket_connect_timeout=1).ping()
    except Exception:  # any failure to reach it: nothing to test against
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return location


@pytest.fixture
def two_redis_clients(redis_location, settings):
    """The default cache on Redis, and two separate clients of it used in
    turn by the rules, as two worker processes would."""
    from django.core.cache.backends.redis import RedisCache

    from terabox_crm.detection import counters

    prefix = f"tbx-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_location,
            "KEY_PREFIX": prefix,
        }
    }
    clients = [
        counters.Counters(cache=RedisCache(redis_location, {"KEY_PREFIX": prefix}))
        for _ in range(2)
    ]
    assert clients[0].cache is not clients[1].cache
    turn = {"n": 0}

    def alternate():
        turn["n"] += 1
        return clients[turn["n"] % 2]

    with mock.patch.object(counters, "default", alternate):
        yield clients
    import redis

    client = redis.Redis.from_url(redis_location)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
