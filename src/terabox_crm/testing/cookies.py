"""What every cookie the product sets must look like (S14), as one check that
the in-process tests (Django's test client) and the tests from outside (raw
``Set-Cookie`` headers of the real server) share.

A cookie is acceptable when it is

* named ``__Host-…``: the browser then refuses it unless it is Secure, has
  ``Path=/`` and no ``Domain`` — so no sibling subdomain can plant or read it;
* ``Secure``, ``Path=/``, without ``Domain`` (said again, so a browser that
  ignores prefixes is held to it too);
* ``SameSite=Lax`` or ``Strict``;
* ``HttpOnly`` — except a deletion (empty value, expired at once): it carries
  nothing a script could steal, and Django's ``delete_cookie`` does not mark it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from django.http import HttpResponseBase

PREFIX = "__Host-"


@dataclass(frozen=True)
class SetCookie:
    """One parsed ``Set-Cookie`` header."""

    name: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    raw: str = ""

    @property
    def is_deletion(self) -> bool:
        if self.value.strip('"'):
            return False
        if self.attributes.get("max-age", "").strip() == "0":
            return True
        expires = self.attributes.get("expires")
        if expires:
            try:
                return parsedate_to_datetime(expires).year < 2000
            except (TypeError, ValueError):
                return False
        return False


def parse(header: str) -> SetCookie:
    pair, *rest = header.split(";")
    name, _, value = pair.partition("=")
    attributes = {}
    for part in rest:
        key, _, attribute = part.strip().partition("=")
        if key:
            attributes[key.lower()] = attribute.strip()
    return SetCookie(name.strip(), value.strip(), attributes, header)


def problems(header: str) -> list[str]:
    """What is wrong with one ``Set-Cookie`` header (empty when nothing is)."""
    cookie = parse(header)
    found = []
    if not cookie.name.startswith(PREFIX):
        found.append(f"{cookie.name!r} lacks the {PREFIX} prefix")
    if "secure" not in cookie.attributes:
        found.append(f"{cookie.name!r} is not Secure")
    if cookie.attributes.get("path") != "/":
        found.append(f"{cookie.name!r} has Path={cookie.attributes.get('path')!r}, not /")
    if "domain" in cookie.attributes:
        found.append(f"{cookie.name!r} names a Domain")
    if cookie.attributes.get("samesite", "").lower() not in {"lax", "strict"}:
        found.append(f"{cookie.name!r} has no SameSite=Lax or Strict")
    if "httponly" not in cookie.attributes and not cookie.is_deletion:
        found.append(f"{cookie.name!r} is not HttpOnly")
    return [f"{problem} ({header})" for problem in found]


def headers_of(response) -> list[str]:
    """The ``Set-Cookie`` headers of a Django test response or an httpx response."""
    if isinstance(response, HttpResponseBase):
        return [morsel.OutputString() for morsel in response.cookies.values()]
    return list(response.headers.get_list("set-cookie"))


class CookieLog:
    """Collects every ``Set-Cookie`` seen along a walk, with where it came from."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (where, header)

    def add(self, where: str, response) -> None:
        self.seen.extend((where, header) for header in headers_of(response))

    def names(self) -> set[str]:
        return {parse(header).name for _where, header in self.seen}

    def problems(self) -> list[str]:
        return [f"{where}: {found}" for where, header in self.seen for found in problems(header)]
