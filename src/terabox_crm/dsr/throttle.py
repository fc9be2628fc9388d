"""Rate limits of the public request page (P9, S7), kept in Django's cache
(shared through Redis when configured).

No CAPTCHA: a person asking about their data must not be made to solve
puzzles. Instead the page counts submissions per IP and per address in fixed
windows; past the limit it answers 429 with ``Retry-After`` and records one
security event per window. An address is counted by a keyed hash whether or
not anybody holds it, so the limit reveals nothing either. Cache keys hold
HMACs under the secret key, never the address or the IP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from terabox_crm.crypto import normalise

PREFIX = "throttle:dsr"
IP_LIMIT = 10  # submissions from one IP ...
IP_WINDOW = 10 * 60  # ... in 10 minutes
ADDRESS_LIMIT = 3  # submissions for one address ...
ADDRESS_WINDOW = 60 * 60  # ... in an hour
LINK_LIMIT = 20  # link openings (verify, download) from one IP ...
LINK_WINDOW = 10 * 60  # ... in 10 minutes


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class Block:
    scope: str  # "ip", "address" or "link"
    retry_after: int
    tripped: bool  # the first refusal of this window: record it once


def _count(name: str, limit: int, window: int) -> Block | None:
    moment = now()
    index = int(moment // window)
    key = f"{PREFIX}:{name}:{index}"
    cache.add(key, 0, window + 60)
    try:
        total = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 60)
        total = 1
    if total <= limit:
        return None
    retry_after = max(1, int((index + 1) * window - moment))
    return Block(name.split(":", 1)[0], retry_after, tripped=total == limit + 1)


def _ip(ip: str) -> str:
    return salted_hmac("tbx.throttle.dsr.ip", ip or "unknown").hexdigest()[:32]


def _address(email: str) -> str:
    return salted_hmac("tbx.throttle.dsr.address", normalise.email(email, check=False)).hexdigest()[
        :32
    ]


def submission(*, ip: str, email: str) -> Block | None:
    """Count one submission; the block it hits, if any (the address first)."""
    by_ip = _count(f"ip:{_ip(ip)}", IP_LIMIT, IP_WINDOW)
    by_address = _count(f"address:{_address(email)}", ADDRESS_LIMIT, ADDRESS_WINDOW)
    return by_address or by_ip


def link(*, ip: str) -> Block | None:
    """Count one opening of a verification or download link from ``ip``."""
    return _count(f"link:{_ip(ip)}", LINK_LIMIT, LINK_WINDOW)
