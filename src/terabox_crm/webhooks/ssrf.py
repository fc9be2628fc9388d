"""Server-side request forgery guard for webhook URLs.

A webhook URL is chosen by a workspace admin, and the server is what fetches
it: without a guard an admin could make the CRM call its own loopback
services, the cloud metadata address (169.254.169.254) or the private
network. So:

* only ``https://`` (``http://`` only when the operator turns on
  ``CRM_WEBHOOK_ALLOW_PRIVATE``), no user:password@, no fragments;
* the host is resolved and *every* address it resolves to must be global
  unicast: loopback, link-local, private, shared (CGNAT), multicast,
  reserved and unspecified addresses are refused, IPv6 included, and IPv4
  addresses hidden in IPv6 (mapped, 6to4, Teredo) are checked as IPv4;
* the check runs at registration and again before every delivery (a name
  can be re-pointed after registration: DNS rebinding), and the delivery
  connects to the very address that was checked — no second lookup — while
  TLS still verifies the certificate against the host name (SNI) and the
  Host header carries the name (``delivery.py``).

With ``CRM_WEBHOOK_ALLOW_PRIVATE`` on, the address checks are skipped: that
is for an operator whose receiver runs on the same host or network, and for
tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name (for SNI and Host), lower-cased, IPv6 without brackets
    port: int
    path: str  # path + query, at least "/"
    addresses: tuple[str, ...]  # resolved and checked, in resolver order


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


def is_public_address(address: str) -> bool:
    """True only for a global unicast address (checked recursively for IPv4-in-IPv6)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or (ip.teredo[1] if ip.teredo else None) or ip.sixtofour
        if embedded is not None:
            return is_public_address(str(embedded))
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def parse(url: str) -> tuple[str, str, int, str]:
    """Syntax checks only: (scheme, host, port, path). Raises ValidationError."""
    url = (url or "").strip()
    if not url:
        raise ValidationError(_("Enter the URL that receives the webhooks."), code="required")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(_("The URL is too long."), code="too_long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from None
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if private_allowed() else {"https"}
    if scheme not in allowed:
        raise ValidationError(_("Webhook URLs must start with https://."), code="scheme")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            _("Do not put a user name or password in the URL."), code="credentials"
        )
    if parts.fragment:
        raise ValidationError(_("Remove the # part from the URL."), code="fragment")
    host = (parts.hostname or "").lower()
    if not host or any(char.isspace() for char in url):
        raise ValidationError(_("Enter a valid URL."), code="invalid")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise ValidationError(
            _("The host name of the URL could not be found."), code="unresolvable"
        ) from None
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    if not seen:
        raise ValidationError(
            _("The host name of the URL could not be found."), code="unresolvable"
        )
    return tuple(seen)


def check(url: str) -> Target:
    """Parse, resolve and check ``url``; a ``Target`` to connect to, or ValidationError."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    if not private_allowed() and not all(is_public_address(a) for a in addresses):
        raise ValidationError(
            _(
                "This URL points to a private, local or reserved network address. "
                "Webhooks can only be sent to public internet addresses."
            ),
            code="private_address",
        )
    return Target(scheme, host, port, path, addresses)
