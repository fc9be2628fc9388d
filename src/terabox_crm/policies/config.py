"""What the operator configures for the policy pages: the contact block (P11),
the sub-processor register (S10) and the notice period (P10).

All of it comes from settings (environment variables, docs/operations.md), so
the published pages say what this installation actually does. The
sub-processor register is a JSON file the operator keeps::

    [{"name": "Example Mail KK", "service_ja": "メール配信(SMTP)",
      "service_en": "Email delivery (SMTP)", "location": "Japan",
      "url": "https://mail.example.com/privacy"}]

Without one, the register lists the outgoing mail relay of ``CRM_EMAIL_URL``
(the only third party the product itself sends data to), or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from terabox_crm.core import jsonbody
from terabox_crm.env import ConfigurationError

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


@dataclass(frozen=True)
class Contact:
    organisation: str
    desk: str
    address: str
    email: str
    phone: str
    hours: str


@dataclass(frozen=True)
class Subprocessor:
    name: str
    service: str
    location: str
    url: str


def notice_period() -> timedelta:
    return timedelta(days=settings.POLICY_NOTICE_DAYS)


def _pick(values: dict, key: str, language: str) -> str:
    other = "en" if language == "ja" else "ja"
    return (values.get(f"{key}_{language}") or values.get(f"{key}_{other}") or "").strip()


def contact(language: str) -> Contact:
    """The privacy contact block (P11) in ``language`` (falling back to the other one)."""
    values = settings.PRIVACY_CONTACT
    return Contact(
        organisation=_pick(values, "organisation", language),
        desk=_pick(values, "desk", language),
        address=_pick(values, "address", language),
        email=(values.get("email") or "").strip(),
        phone=(values.get("phone") or "").strip(),
        hours=_pick(values, "hours", language),
    )


@lru_cache(maxsize=1)
def _register_entries() -> tuple[dict, ...]:
    path = settings.SUBPROCESSORS_FILE
    if not path:
        host = getattr(settings, "EMAIL_HOST", "") if settings.EMAIL_URL else ""
        if host in LOCAL_HOSTS:
            return ()
        return (
            {
                "name": host,
                "service_ja": "メール配信(SMTP)",
                "service_en": "Email delivery (SMTP)",
                "location": "",
                "url": "",
            },
        )
    try:
        entries = jsonbody.parse(Path(path).read_bytes(), limit=1_000_000)
    except (OSError, jsonbody.BodyRefused) as exc:
        raise ConfigurationError(f"CRM_SUBPROCESSORS_FILE={path!r} cannot be read: {exc}") from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"].strip()
        for entry in entries
    ):
        raise ConfigurationError(
            "CRM_SUBPROCESSORS_FILE must hold a JSON list of objects, each with a "
            '"name" (and optionally "service_ja", "service_en", "location", "url")'
        )
    return tuple(entries)


def subprocessors(language: str) -> list[Subprocessor]:
    """The sub-processor register (S10) in ``language``."""
    return [
        Subprocessor(
            name=str(entry["name"]).strip(),
            service=_pick(entry, "service", language),
            location=str(entry.get("location") or "").strip(),
            url=str(entry.get("url") or "").strip(),
        )
        for entry in _register_entries()
    ]


def check() -> None:
    """Read the register once at start-up, so a broken file stops the server
    with a clear message instead of breaking a public page later."""
    _register_entries.cache_clear()
    _register_entries()
