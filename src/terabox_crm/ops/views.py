"""Health endpoints for load balancers and orchestrators (S12).

``/healthz`` says the process answers and touches nothing else, so a slow
database never gets a healthy process restarted. ``/readyz`` says whether this
process can do its work: the database answers, the master key can be read
from its source and every stored data key (and the erasure-ledger key file)
is wrapped under it, the audit signing key loads, the job queue's
storage answers, and the cache answers.
Not ready is a 503 problem document naming which check failed — never why in
detail: exception texts can carry connection strings, so they go to the log.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from terabox_crm.audit import signing
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey

log = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"
PROBLEM_TYPE = "https://terabox-crm.dev/problems/not-ready"


@require_safe
@never_cache
def healthz(request):
    """The process is alive."""
    return JsonResponse({"status": OK})


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def check_keys() -> str:
    """Every stored key is wrapped under a master key this process holds, the
    erasure-ledger key file too, and the system key unwraps.

    Cheap on purpose (probes come every few seconds and a workspace with many
    people has many subject keys): one grouped query for keys under another
    master key instead of unwrapping them all; ``serve`` unwraps them all at
    start. During a master-key rotation both the old and the new key count.
    """
    from terabox_crm.erasure import keys as ledger_keys

    foreign = keyring.foreign_kek_counts()
    if foreign:
        log.error(
            "readyz: data keys are wrapped under master key(s) %s, not the configured %s",
            ", ".join(sorted(foreign)),
            keyring.configured()[0],
        )
        return UNAVAILABLE
    ledger_kek = ledger_keys.wrapped_under()
    if ledger_kek is not None and ledger_kek not in keyring.accepted():
        log.error("readyz: the erasure-ledger key is wrapped under master key %s", ledger_kek)
        return UNAVAILABLE
    system = (
        DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
        .filter(scope=keyring.SYSTEM_SCOPE)
        .first()
    )
    if system is not None:
        keyring.get_key(system.key_id)
    return OK


def check_signing() -> str:
    """The audit checkpoint key loads: every 1,000th event signs one in its transaction."""

    problems = signing.check()
    if problems:
        log.error("readyz: audit signing key: %s", "; ".join(problems))
        return UNAVAILABLE
    return OK


def check_jobs() -> str:
    from huey.contrib.djhuey import HUEY

    HUEY.pending_count()  # one round trip to the queue's storage (SQLite or Redis)
    return OK


def check_cache() -> str:
    cache.get("readyz-probe")  # a miss is fine; an unreachable Redis raises
    return OK


CHECKS = {
    "database": check_database,
    "keys": check_keys,
    "signing": check_signing,
    "jobs": check_jobs,
    "cache": check_cache,
}
NEEDS_DATABASE = {"keys"}


def run_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results.get("database") != OK:
            results[name] = UNAVAILABLE
            continue
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready"
            log.error("readyz: %s check failed: %s", name, type(exc).__name__)
            results[name] = UNAVAILABLE
    return results


@require_safe
@never_cache
def readyz(request):
    """200 when every dependency answers, else 503 with the failing checks named."""
    checks = run_checks()
    if all(value == OK for value in checks.values()):
        return JsonResponse({"status": OK, "checks": checks})
    failing = sorted(name for name, value in checks.items() if value != OK)
    return JsonResponse(
        {
            "type": PROBLEM_TYPE,
            "title": "Not ready",
            "status": 503,
            "detail": "Unavailable: " + ", ".join(failing),
            "checks": checks,
        },
        status=503,
        content_type="application/problem+json",
        headers={"Retry-After": "5"},
    )
