"""Sending webhook deliveries: sign, connect to the checked address, record.

Signature: ``Terabox-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 with the endpoint's secret over ``f"{t}.{body}"`` (the raw body
bytes). A receiver recomputes it and rejects old timestamps (``verify``
shows how). Other headers: ``Terabox-Event`` and ``Terabox-Delivery``.

A 2xx answer within 10 seconds is a success. Anything else — another
status, a redirect (never followed), a timeout, a refused or private address
— is retried with exponential backoff: 1, 2, 4 … minutes, 8 attempts in all,
through the job queue (``deliver_due`` is the periodic job). An attempt is
*claimed* by a conditional UPDATE (next_attempt_at moves forward by the
lease) before the HTTP request, so two workers never send the same attempt
and no database lock is held while waiting for the receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.webhooks import ssrf
from terabox_crm.webhooks.models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
# A claimed attempt that never reports back (a killed worker) is retried after this.
LEASE = timedelta(minutes=2)
MAX_RESPONSE_BYTES = 4096  # read and dropped: only the status code is kept
USER_AGENT = "Terabox-CRM-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now=None) -> bool:
    """What a receiver does: recompute the HMAC and refuse stale timestamps."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def backoff(attempts: int) -> timedelta:
    """Delay after the ``attempts``-th failure: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** max(0, attempts - 1))


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first checked address that answers."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to already-checked addresses; the Host header is still the name."""

    def __init__(self, host, port, addresses, timeout):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self):
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to already-checked addresses, verifying the certificate for the name (SNI)."""

    def __init__(self, host, port, addresses, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses

    def connect(self):
        sock = _connect(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def tls_context() -> ssl.SSLContext:
    """Certificate checks as a browser would do them (overridable in tests)."""
    return ssl.create_default_context()


def post(target: ssrf.Target, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to the checked addresses of ``target``; the status code."""
    addresses = target.addresses
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(
            target.host, target.port, addresses, TIMEOUT_SECONDS, tls_context()
        )
    else:
        conn = _PinnedHTTPConnection(target.host, target.port, addresses, TIMEOUT_SECONDS)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    finally:
        conn.close()


def _claim(delivery_id) -> bool:
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return claimed == 1


def deliver(delivery_id) -> bool:
    """Make one attempt at a due delivery; True when the receiver answered 2xx."""
    with scopes_disabled():
        if not _claim(delivery_id):
            return False
        delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
        endpoint = delivery.endpoint
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        status_code = None
        error = ""
        if not endpoint.active:
            error = "endpoint inactive"
        else:
            try:
                # Checked again now: the name may point somewhere else since registration.
                target = ssrf.check(endpoint.url)
                timestamp = int(time.time())
                status_code = post(
                    target,
                    body,
                    {
                        "Content-Type": "application/json",
                        "User-Agent": USER_AGENT,
                        "Terabox-Event": delivery.event,
                        "Terabox-Delivery": str(delivery.pk),
                        "Terabox-Signature": sign(endpoint.secret, timestamp, body),
                    },
                )
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except ValidationError as exc:
                error = f"refused: {exc.code}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
        now = timezone.now()
        delivery.refresh_from_db(fields=["attempts"])
        delivery.last_status_code = status_code
        delivery.last_error = error[:200]
        if not error:
            delivery.status = Delivery.Status.SUCCEEDED
            delivery.finished_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.finished_at = now
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save(
            update_fields=[
                "status",
                "finished_at",
                "next_attempt_at",
                "last_status_code",
                "last_error",
            ]
        )
        if error:
            log.info(
                "webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error
            )
        return not error


def due_ids(limit: int = 200) -> list[str]:
    """Pending deliveries whose time has come, oldest first (the periodic job's list)."""
    with scopes_disabled():
        due = (
            Delivery.objects.filter(
                status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now()
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        return [str(pk) for pk in due]


def deliver_due(limit: int = 200) -> int:
    """Attempt every due delivery here, one after the other; the number that succeeded."""
    return sum(1 for delivery_id in due_ids(limit) if deliver(delivery_id))
