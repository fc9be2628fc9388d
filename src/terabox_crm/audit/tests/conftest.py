"""Helpers for the audit tests: recording with a request context, and tampering
with raw SQL through the maintenance window (the triggers refuse otherwise)."""

from __future__ import annotations

import pytest
from django.db import connection

from terabox_crm import audit, context
from terabox_crm.audit import signing
from terabox_crm.audit.maintenance import maintenance_window

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def _fresh_signer():
    signing.reset_cache()
    yield
    signing.reset_cache()


def record_from(ip: str = "203.0.113.7", user_agent: str = CHROME, **kwargs):
    """``audit.record`` as if made by a browser request from ``ip``."""
    with context.activate(context.RequestContext(ip=ip, user_agent=user_agent, channel="web")):
        return audit.record(**kwargs)


# Event types registered by the apps (record() refuses unknown names).
SECURITY_EVENT = "security.permission.denied"
PLAIN_EVENT = "core.member.role_changed"


def record_many(count: int, *, workspace, action: str = PLAIN_EVENT, **kwargs):
    return [
        audit.record(action, workspace=workspace, payload={"n": n}, **kwargs) for n in range(count)
    ]


def tamper(sql: str, params=()) -> int:
    """Run raw SQL against the audit tables, past the append-only triggers."""
    with maintenance_window(reason="test tampering"), connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def chain_of(workspace) -> str:
    return str(workspace.pk)
