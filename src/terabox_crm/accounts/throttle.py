"""Sign-in throttling (S7), kept in Django's cache.

The numbers are the SPEC's:

* 5 failures on one account within 5 minutes → that account refuses every
  sign-in (even with the right password) for a 15-minute cool-off. Never a
  permanent lock: an attacker who can type someone's email must not be able
  to lock them out for longer than that, and attempts during the cool-off do
  not extend it.
* per IP, 10 failures or 30 attempts within a minute → the sign-in answers
  429 with ``Retry-After`` for a minute.

Failures are password, second-factor and step-up failures. An "account" is a
normalised email whether or not a user has it, so an unknown email is
throttled exactly like a real one and the answers reveal nothing.

With ``REDIS_URL`` the cache is Redis and every process shares the counters.
Counters are split into short buckets incremented atomically (``incr``), and a
window is the sum of its buckets, so concurrent processes never lose a count
and no process needs a read-modify-write. Cache keys hold an HMAC of the email
or IP under the secret key, never the value itself.

Times come from ``now()`` (patched in tests) and cool-offs store their end
time, so the rules do not depend on the cache's own expiry clock.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.utils.crypto import salted_hmac

from terabox_crm.crypto import normalise

ACCOUNT_FAILURE_LIMIT = 5
ACCOUNT_FAILURE_WINDOW = 5 * 60
ACCOUNT_COOL_OFF = 15 * 60
IP_FAILURE_LIMIT = 10
IP_ATTEMPT_LIMIT = 30
IP_WINDOW = 60
IP_BLOCK = 60

ACCOUNT_BUCKET = 10  # seconds; a 5-minute window is 30 buckets
IP_BUCKET = 5  # seconds; a 1-minute window is 12 buckets
PREFIX = "throttle:login"


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class Block:
    """Why a sign-in is refused right now, and for how long."""

    scope: str  # "account" or "ip"
    reason: str  # "failures" or "attempts"
    retry_after: int  # seconds, for the Retry-After header
    tripped: bool = False  # True on the attempt that started the block (audit once)


def account_id(email: str) -> str:
    """The cache identity of an account: an HMAC of the normalised email."""
    return salted_hmac("tbx.throttle.account", normalise.email(email, check=False)).hexdigest()[:32]


def ip_id(ip: str) -> str:
    return salted_hmac("tbx.throttle.ip", ip or "unknown").hexdigest()[:32]


class LoginThrottle:
    """The counters and blocks of S7 on one cache (default: Django's default cache)."""

    def __init__(self, cache=None, clock=None) -> None:
        self.cache = cache if cache is not None else caches["default"]
        self.clock = clock or now

    # --- windows of buckets ---------------------------------------------------------------

    def _bump(self, name: str, bucket: int, window: int) -> int:
        """Count one event in the current bucket; return the window's total."""
        moment = self.clock()
        index = int(moment // bucket)
        key = f"{PREFIX}:{name}:{index}"
        ttl = window + 2 * bucket
        self.cache.add(key, 0, ttl)
        try:
            self.cache.incr(key)
        except ValueError:  # expired between add and incr: start the bucket again
            self.cache.add(key, 0, ttl)
            self.cache.incr(key)
        return self._total(name, bucket, window, index)

    def _total(self, name: str, bucket: int, window: int, index: int | None = None) -> int:
        if index is None:
            index = int(self.clock() // bucket)
        keys = [f"{PREFIX}:{name}:{i}" for i in range(index - window // bucket + 1, index + 1)]
        return sum(int(v) for v in self.cache.get_many(keys).values())

    def _block(self, name: str, seconds: int) -> float:
        until = self.clock() + seconds
        # The cache entry outlives the block a little; the stored end time decides.
        self.cache.set(f"{PREFIX}:block:{name}", until, seconds + 60)
        return until

    def _blocked_for(self, name: str) -> int:
        until = self.cache.get(f"{PREFIX}:block:{name}")
        if until is None:
            return 0
        remaining = until - self.clock()
        return max(1, math.ceil(remaining)) if remaining > 0 else 0

    # --- the rules ------------------------------------------------------------------------

    def check(self, *, ip: str, email: str | None = None) -> Block | None:
        """Is a sign-in from ``ip`` (for ``email``) refused right now? Counts nothing."""
        ip_name = f"ip:{ip_id(ip)}"
        seconds = self._blocked_for(ip_name)
        if seconds:
            return Block("ip", "blocked", seconds)
        if email:
            seconds = self._blocked_for(f"acct:{account_id(email)}")
            if seconds:
                return Block("account", "cool_off", seconds)
        return None

    def attempt(self, *, ip: str) -> Block | None:
        """Count one sign-in attempt from ``ip``; refuse past 30 a minute."""
        name = f"ip:{ip_id(ip)}"
        total = self._bump(f"{name}:attempts", IP_BUCKET, IP_WINDOW)
        if total > IP_ATTEMPT_LIMIT:
            self._block(name, IP_BLOCK)
            return Block("ip", "attempts", IP_BLOCK, tripped=True)
        return None

    def failure(self, *, ip: str, email: str | None) -> list[Block]:
        """Count one failed sign-in; return the blocks it started (usually none)."""
        started = []
        if email:
            name = f"acct:{account_id(email)}"
            total = self._bump(f"{name}:failures", ACCOUNT_BUCKET, ACCOUNT_FAILURE_WINDOW)
            if total >= ACCOUNT_FAILURE_LIMIT and not self._blocked_for(name):
                self._block(name, ACCOUNT_COOL_OFF)
                self._reset(f"{name}:failures", ACCOUNT_BUCKET, ACCOUNT_FAILURE_WINDOW)
                started.append(Block("account", "failures", ACCOUNT_COOL_OFF, tripped=True))
        name = f"ip:{ip_id(ip)}"
        total = self._bump(f"{name}:failures", IP_BUCKET, IP_WINDOW)
        if total >= IP_FAILURE_LIMIT and not self._blocked_for(name):
            self._block(name, IP_BLOCK)
            self._reset(f"{name}:failures", IP_BUCKET, IP_WINDOW)
            started.append(Block("ip", "failures", IP_BLOCK, tripped=True))
        return started

    def success(self, *, email: str) -> None:
        """A complete sign-in forgets the account's earlier failures."""
        self._reset(f"acct:{account_id(email)}:failures", ACCOUNT_BUCKET, ACCOUNT_FAILURE_WINDOW)

    def clear_account(self, *, email: str) -> None:
        """Lift an account's cool-off and forget its failures (after a password reset)."""
        name = f"acct:{account_id(email)}"
        self.cache.delete(f"{PREFIX}:block:{name}")
        self._reset(f"{name}:failures", ACCOUNT_BUCKET, ACCOUNT_FAILURE_WINDOW)

    def _reset(self, name: str, bucket: int, window: int) -> None:
        index = int(self.clock() // bucket)
        self.cache.delete_many(
            [f"{PREFIX}:{name}:{i}" for i in range(index - window // bucket + 1, index + 1)]
        )


def default() -> LoginThrottle:
    return LoginThrottle()
