"""The detectors (S7): counters in the shared cache, events raised once a window.

Every rule counts in fixed windows (the window's index is part of the key)
with O(1) cache operations per call (``counters``: one round trip on Redis
for the counts), and raises its security event when a count *crosses* its
limit — the atomic increment hands that value to exactly one caller, so a
flood makes one event, not one per request, and calls past the limit cost
nothing more; ``_raise_once`` (an ``add`` per raise) guards that too.

The rules and their numbers:

* **Credential stuffing** — ``STUFFING_ACCOUNTS`` (20) or more distinct
  accounts failing to sign in from one address, or from one network (/24
  for IPv4, /64 for IPv6), within ``WINDOW`` (10 minutes). System chain.
* **One account, many addresses** — ``ACCOUNT_IPS`` (5) or more distinct
  addresses failing on one account within ``WINDOW``. (The account locks
  after 5 failures in 5 minutes, decision 0004, so 5 is the most a window
  can see.) The account's workspace chain, else the system chain.
* **Mass read** — a member reading or exporting more than ``MASS_READ_ROWS``
  (5,000) contacts within ``WINDOW``.
* **Read burst** — a member's reads in the current ``WINDOW`` reach both
  ``BURST_MIN_ROWS`` (1,000) and ``BURST_FACTOR`` (10) times their
  baseline. The baseline is the member's mean reads per 10-minute window
  over the 24 whole hours before the current one (hourly counters, so the
  current burst never inflates its own baseline; idle windows count as 0).
  It is computed once per member and window, when the floor is first
  passed. A member with no history has a baseline of 0: the floor decides.
* **Denial burst** — more than ``DENIALS`` (20) refused accesses
  (``refusals.denial``) by one member within ``WINDOW``.
* **Refused-request flood** — more than ``ERRORS_PER_MINUTE`` (50) 4xx
  answers to one address within a sliding minute (5-second buckets, so a
  burst across the turn of a minute counts whole) blocks the address for
  ``BLOCK_SECONDS`` (15 minutes): ``middleware.BlockMiddleware``.

Addresses and accounts are never stored in keys or payloads: keys hold an
HMAC under the secret key (as the sign-in throttle's do), payloads hold a
short form of it (``source``) with the counts; the address itself travels
only in the audit event's encrypted detail, as on every security event.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from django.utils.crypto import salted_hmac

from terabox_crm import audit
from terabox_crm.detection import counters, kinds
from terabox_crm.detection.signals import raised

WINDOW = 10 * 60
STUFFING_ACCOUNTS = 20
ACCOUNT_IPS = 5
MASS_READ_ROWS = 5_000
BURST_MIN_ROWS = 1_000
BURST_FACTOR = 10
BASELINE_HOURS = 24
DENIALS = 20
ERRORS_PER_MINUTE = 50
ERROR_WINDOW = 60
ERROR_BUCKET = 5  # seconds: the minute slides in 12 buckets
BLOCK_SECONDS = 15 * 60

PREFIX = "det"
log = logging.getLogger(__name__)


def now() -> float:
    return time.time()


def _window(seconds: int = WINDOW) -> int:
    return int(now() // seconds)


def opaque(kind: str, value: str) -> str:
    """A keyed hash of an address or account: stable, not reversible without the secret key."""
    return salted_hmac(f"tbx.detection.{kind}", value or "unknown").hexdigest()[:24]


def network_of(ip: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of ``ip``; ``ip`` itself when unparsable."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _raise_once(
    kind: kinds.Kind, subject: str, window: int, ttl: int, *, event: dict
) -> dict | None:
    """The audit arguments of ``kind`` for ``subject``, the first time in ``window``; else None.

    Sends ``signals.raised``. The caller records the event (now, or after a
    rollback for a refusal).
    """
    if not counters.default().first(f"{PREFIX}:raised:{kind.name}:{subject}:{window}", ttl=ttl):
        return None
    event = {"action": kind.action, **event}
    event["payload"] = {"window_seconds": ttl, **event.get("payload", {})}
    # An alert that cannot be scheduled must not fail the request that raised
    # the event: the event is on the chain all the same.
    for receiver, outcome in raised.send_robust(
        sender=kind.name, kind=kind, workspace_id=_pk(event.get("workspace"))
    ):
        if isinstance(outcome, Exception):
            log.error("detection: %s failed for %s: %r", receiver, kind.name, outcome)
    return event


def _record(event: dict | None) -> None:
    if event is not None:
        audit.record(**event)


def _pk(value):
    return getattr(value, "pk", value)


# --- Sign-in failures ---------------------------------------------------------------------


def login_failed(*, ip: str, account: str, actor=None, workspace=None) -> list[dict]:
    """Count one failed sign-in (password or second factor) for ``account``
    (an opaque id, e.g. ``throttle.account_id(email)``) from ``ip``; record
    and return the events it raised. ``actor``/``workspace``: the account's
    user and the chain its events go to, when the account is known."""
    store = counters.default()
    window = _window()
    ttl = WINDOW + 60
    raised_events = []
    address = opaque("ip", ip)
    network = opaque("net", network_of(ip))
    # Is this account new for the address, for the network; is the address
    # new for the account? One round trip on Redis, one more for the counts.
    new_here, new_in_network, new_for_account = store.first_many(
        [
            f"{PREFIX}:cs:{address}:{window}:{account}",
            f"{PREFIX}:cs:{network}:{window}:{account}",
            f"{PREFIX}:acct:{account}:{window}:{address}",
        ],
        ttl=ttl,
    )
    keys = {
        "address": f"{PREFIX}:cs:{address}:{window}" if new_here else None,
        "network": f"{PREFIX}:cs:{network}:{window}" if new_in_network else None,
        "account": f"{PREFIX}:acct:{account}:{window}" if new_for_account else None,
    }
    wanted = [(name, key) for name, key in keys.items() if key]
    totals = dict(
        zip(
            [name for name, _key in wanted],
            store.bump_many([(key, 1, ttl) for _name, key in wanted]) if wanted else [],
            strict=True,
        )
    )
    for scope, source in (("address", address), ("network", network)):
        accounts = totals.get(scope)
        if accounts is None:
            continue  # this account already failed from here in this window
        if scope == "network" and totals.get("address", 0) >= STUFFING_ACCOUNTS:
            continue  # one address explains the network's count: its event says it
        if accounts == STUFFING_ACCOUNTS:  # crossed now: exactly one caller sees it
            event = _raise_once(
                kinds.CREDENTIAL_STUFFING,
                source,
                window,
                WINDOW,
                event={"payload": {"scope": scope, "source": source, "accounts": accounts}},
            )
            if event is not None:
                _record(event)
                raised_events.append(event)
    addresses = totals.get("account")
    if addresses == ACCOUNT_IPS:
        event = _raise_once(
            kinds.ACCOUNT_MANY_IPS,
            account,
            window,
            WINDOW,
            event={
                "actor": _pk(actor),
                "workspace": _pk(workspace),
                "payload": {"account": account[:24], "addresses": addresses},
            },
        )
        if event is not None:
            _record(event)
            raised_events.append(event)
    return raised_events


# --- Reads of contacts --------------------------------------------------------------------


def _hourly(membership_id: str, hour: int) -> str:
    return f"{PREFIX}:readh:{membership_id}:{hour}"


def baseline(membership_id: str) -> float:
    """Mean reads per 10-minute window over the 24 whole hours before this one."""
    hour = _window(3600)
    keys = [_hourly(membership_id, h) for h in range(hour - BASELINE_HOURS, hour)]
    total = sum(int(v) for v in counters.default().get_many(keys).values())
    return total / (BASELINE_HOURS * 3600 / WINDOW)


def count_reads(membership, n: int) -> list[dict]:
    """Count ``n`` contact rows read or exported by ``membership`` (S7).

    Call it wherever rows of personal data leave the server: the contact
    list and detail pages, the API, exports. Records and returns the events
    it raised (mass read, burst above the member's baseline).
    """
    if membership is None or n <= 0:
        return []
    store = counters.default()
    member = str(membership.pk)
    window = _window()
    base_key = f"{PREFIX}:base:{member}:{window}"
    # One round trip on Redis: both counters, and the window's baseline if known.
    rows, _hour, base = store.bump_many(
        [
            (f"{PREFIX}:read:{member}:{window}", n, WINDOW + 60),
            (_hourly(member, _window(3600)), n, (BASELINE_HOURS + 2) * 3600),
        ],
        get=base_key,
    )
    events = []
    common = {"actor": membership.user_id, "workspace": membership.workspace_id}
    if rows - n <= MASS_READ_ROWS < rows:  # crossed by this call
        events.append(
            _raise_once(
                kinds.MASS_READ,
                member,
                window,
                WINDOW,
                event={**common, "payload": {"membership": member, "rows": rows}},
            )
        )
    if rows >= BURST_MIN_ROWS:
        if base is None:
            base = baseline(member)
            store.set(base_key, base, ttl=WINDOW + 60)
        threshold = max(BURST_MIN_ROWS, BURST_FACTOR * base)
        if rows - n < threshold <= rows:  # crossed by this call
            events.append(
                _raise_once(
                    kinds.READ_BURST,
                    member,
                    window,
                    WINDOW,
                    event={
                        **common,
                        "payload": {
                            "membership": member,
                            "rows": rows,
                            "baseline": math.ceil(base),
                        },
                    },
                )
            )
    events = [event for event in events if event is not None]
    for event in events:
        _record(event)
    return events


# --- Refused accesses ---------------------------------------------------------------------


def denied(*, actor, workspace) -> list[dict]:
    """Count one refused access by ``actor`` in ``workspace``; the events to record.

    Not recorded here: ``refusals.denial`` records them with the denial,
    after a service's transaction has rolled back.
    """
    actor_id = _pk(actor)
    if actor_id is None:
        return []
    workspace_id = _pk(workspace)
    window = _window()
    subject = f"{workspace_id}:{actor_id}"
    total = counters.default().bump(f"{PREFIX}:deny:{subject}:{window}", ttl=WINDOW + 60)
    if total != DENIALS + 1:  # only the call that crosses the limit raises
        return []
    event = _raise_once(
        kinds.DENIAL_BURST,
        subject,
        window,
        WINDOW,
        event={"actor": actor_id, "workspace": workspace_id, "payload": {"denials": total}},
    )
    return [event] if event is not None else []


# --- Refused requests per address ---------------------------------------------------------


def _block_key(address: str) -> str:
    return f"{PREFIX}:block:{address}"


def blocked_for(ip: str) -> int:
    """Seconds left of ``ip``'s block, 0 when not blocked. One cache read.

    The block stores its end time; the stored time decides, not the cache's
    expiry, so it lifts itself on time in every process."""
    until = counters.default().get(_block_key(opaque("ip", ip)))
    if until is None:
        return 0
    remaining = until - now()
    return max(1, math.ceil(remaining)) if remaining > 0 else 0


def refused_response(ip: str) -> int:
    """Count one 4xx answer to ``ip``; block it when the last minute's count
    passes ``ERRORS_PER_MINUTE``. Returns the seconds of a block this call
    started (0: none).

    A sliding minute of 5-second buckets (a burst across the turn of a minute
    counts whole); the block starts once — the first caller over the limit
    takes the block's slot (``BLOCK_SECONDS`` long, so a later block is in a
    later slot) — with its one event.
    """
    store = counters.default()
    address = opaque("ip", ip)
    moment = now()
    total = store.bump_sliding(
        f"{PREFIX}:4xx:{address}", moment=moment, bucket=ERROR_BUCKET, span=ERROR_WINDOW
    )
    if total <= ERRORS_PER_MINUTE:
        return 0
    slot = int(moment // BLOCK_SECONDS)
    if not store.first(f"{PREFIX}:blocking:{address}:{slot}", ttl=BLOCK_SECONDS + 60):
        return 0  # this block has started already
    store.set(_block_key(address), moment + BLOCK_SECONDS, ttl=BLOCK_SECONDS + 60)
    event = _raise_once(
        kinds.ADDRESS_BLOCKED,
        address,
        slot,
        ERROR_WINDOW,
        event={"payload": {"source": address, "responses": total, "seconds": BLOCK_SECONDS}},
    )
    _record(event)
    return BLOCK_SECONDS


def unblock(ip: str) -> bool:
    """Lift ``ip``'s block now (an operator's decision)."""
    return counters.default().cache.delete(_block_key(opaque("ip", ip)))
