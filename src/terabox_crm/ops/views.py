"""Health endpoints for load balancers and orchestrators (S12)."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from terabox_crm.crypto import keyring


@require_GET
@never_cache
def healthz(request):
    """The process is alive; touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """The database answers and every stored key can be unwrapped with the master key."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any database failure means "not ready"
        checks["database"] = "unavailable"
    if checks["database"] == "ok":
        try:
            problems = keyring.check_all_keys()
            checks["keys"] = "ok" if not problems else "unavailable"
        except Exception:  # a missing or wrong master key
            checks["keys"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
