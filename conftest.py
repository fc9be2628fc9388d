"""Shared fixtures: the cast of users, a fresh key cache per test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from terabox_crm.testing import factories
from terabox_crm.testing.links import team_world  # noqa: F401 - a shared fixture
from terabox_crm.testing.smtp import smtp_server  # noqa: F401 - a shared fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and lockouts live in the cache: each test starts clean.
    On Redis only this run's keys go (its ``CRM_CACHE_PREFIX``, one per xdist
    worker): ``clear()`` would empty the database under the other workers."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _policies_in_force(request):
    """Version 1 of each policy is loaded by a data migration (P10). A
    transactional test flushes the tables when it ends, and under xdist a
    worker may run other database tests after it: put the versions back
    before every database test (two EXISTS queries; idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    transactional = _transactional(marker) or "transactional_db" in request.fixturenames
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django_scopes import scopes_disabled

    from terabox_crm.policies.initial import ensure_initial_versions
    from terabox_crm.policies.models import PolicyVersion

    with scopes_disabled():
        ensure_initial_versions(PolicyVersion)
    yield


def _transactional(marker) -> bool:
    if marker is None:
        return False
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request through the
    language middlewares leaves its language active in the thread, and under
    xdist the test that runs next in a worker is not always the same."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_keyring():
    from terabox_crm.crypto import keyring

    keyring.reset_cache()
    yield
    keyring.reset_cache()


@pytest.fixture
def published():
    """The domain events (core/bus.py) delivered to subscribers during the test,
    as ``(name, object_id)``; with ``django_capture_on_commit_callbacks`` to
    see them commit."""
    from terabox_crm.core import bus

    seen: list[tuple[str, str]] = []

    def listener(name, workspace_id, object_id):
        seen.append((name, object_id))

    bus.subscribe(listener)
    yield seen
    bus.unsubscribe(listener)


@pytest.fixture
def cast(db):
    from terabox_crm.core.roles import Role

    acme = factories.make_workspace("Acme")
    globex = factories.make_workspace("Globex")
    people = SimpleNamespace(acme=acme, globex=globex, password=factories.PASSWORD)
    for role in (Role.OWNER, Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER):
        user = factories.make_user(f"{role}@acme.example")
        setattr(people, role, user)
        setattr(people, f"{role}_membership", factories.add_member(acme, user, role))
    people.outsider = factories.make_user("outsider@globex.example")
    people.outsider_membership = factories.add_member(globex, people.outsider, Role.OWNER)
    return people
