"""One JSON reader for every request body the product parses (S1, S7).

Python's ``json`` module recurses once per nesting level, so a body of
50,000 nested brackets raises ``RecursionError`` inside the parser, and a
document of 900 levels parses but breaks whatever walks it recursively
afterwards (serializers, problem details, the audit chain's canonical JSON).
``parse`` therefore:

* refuses a body over ``settings.MAX_JSON_BODY_BYTES`` (``CRM_MAX_JSON_BYTES``,
  1 MiB by default; the general 10 MB body limit still applies first);
* catches ``RecursionError`` and checks the nesting depth again, iteratively,
  after parsing, against ``MAX_DEPTH`` — nothing the product accepts is nested
  more than a few levels, so 32 leaves ample room;
* refuses what RFC 8259 leaves undefined and I-JSON (RFC 7493) forbids: bytes
  that are not UTF-8, lone surrogates in strings, ``NaN``/``Infinity`` and
  numbers too large for a double or an integer Python will convert.

It raises ``BodyRefused`` (``Malformed``, ``TooDeep``, ``TooLarge``) and has no
side effects; surfaces translate those into their own answers (the API's
``api.parsers.JSONParser`` into problem details) and call
``record_too_deep`` when a body crosses the depth cap, which looks like
probing rather than a client's mistake.
"""

from __future__ import annotations

import json
import math
import re

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import salted_hmac

from terabox_crm import audit, context

MAX_DEPTH = 32
TOO_DEEP_EVENT = "security.request.too_deep"
# One event per client address per window: a script retrying in a loop must
# not flood the audit chain (the cache key is an HMAC, not the address).
TOO_DEEP_RECORD_EVERY = 600  # seconds

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyRefused(ValueError):
    """The body is not one the product will read; nothing was done with it."""


class Malformed(BodyRefused):
    def __init__(self, message: str = "", *, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class TooDeep(BodyRefused):
    pass


class TooLarge(BodyRefused):
    pass


def max_bytes() -> int:
    return settings.MAX_JSON_BODY_BYTES


def _refuse_constant(name: str):
    raise Malformed(f"{name} is not a JSON number")


def parse(raw: bytes | str, *, limit: int | None = None, max_depth: int = MAX_DEPTH) -> object:
    """The value of the JSON document ``raw``, or ``BodyRefused``."""
    limit = max_bytes() if limit is None else limit
    if len(raw) > limit:
        raise TooLarge()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed("not UTF-8", column=exc.start + 1, line=1) from None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep() from None
    except json.JSONDecodeError as exc:
        raise Malformed(exc.msg, line=exc.lineno, column=exc.colno) from None
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise Malformed(str(exc)) from None
    check(value, max_depth=max_depth)
    return value


def check(value: object, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse ``value`` if containers nest deeper than ``max_depth`` or it holds
    what JSON cannot carry faithfully. Iterative: a value deep enough to break
    recursive code must not break this check."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise TooDeep()
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise TooDeep()
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise Malformed("number out of range")


def _check_text(text: str) -> None:
    if _LONE_SURROGATE.search(text):
        raise Malformed("lone surrogate in a string")


def record_too_deep(*, actor=None, workspace=None, view: str = "") -> bool:
    """Put a refused too-deep body on the audit chain, at most once per client
    address per ``TOO_DEEP_RECORD_EVERY`` seconds. True when recorded."""
    address = salted_hmac("tbx.jsonbody.ip", context.current().ip or "unknown").hexdigest()[:32]
    if not cache.add(f"security:too-deep:{address}", 1, TOO_DEEP_RECORD_EVERY):
        return False
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    with transaction.atomic():
        audit.record(
            TOO_DEEP_EVENT,
            actor=actor,
            workspace=workspace,
            payload={"max_depth": MAX_DEPTH, "view": view},
        )
    return True
