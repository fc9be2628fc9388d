"""The operator's legal minimum periods (``CRM_RETENTION_MINIMUM_DAYS``).

Japanese law sets floors some records must be kept for (tax records 7 years,
employment records 5 years…); the operator writes them down per target, and a
rule shorter than its floor is refused (P5). Two forms are accepted::

    CRM_RETENTION_MINIMUM_DAYS='{"support.closed_tickets": 1825}'
    CRM_RETENTION_MINIMUM_DAYS='support.closed_tickets=1825,audit.details=1825'

A malformed value or an unknown target is a configuration error: the
command fails with the setting's name rather than silently allowing a rule.
"""

from __future__ import annotations

from django.conf import settings

from terabox_crm.core import jsonbody
from terabox_crm.env import ConfigurationError
from terabox_crm.retention import registry

SETTING = "CRM_RETENTION_MINIMUM_DAYS"


def parse(text: str) -> dict[str, int]:
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            raw = jsonbody.parse(text)
        except jsonbody.BodyRefused:
            raise ConfigurationError(f"{SETTING} is not valid JSON") from None
        if not isinstance(raw, dict):
            raise ConfigurationError(f"{SETTING} must be a JSON object of target: days")
        pairs = list(raw.items())
    else:
        pairs = []
        for item in text.split(","):
            name, sep, value = item.partition("=")
            if not sep:
                raise ConfigurationError(f"{SETTING}: {item.strip()!r} is not target=days")
            pairs.append((name.strip(), value.strip()))
    minimums: dict[str, int] = {}
    for name, value in pairs:
        if registry.get(name) is None:
            raise ConfigurationError(f"{SETTING}: unknown retention target {name!r}")
        try:
            days = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{SETTING}: {name} must be a whole number of days") from None
        if days < 0:
            raise ConfigurationError(f"{SETTING}: {name} must not be negative")
        minimums[name] = days
    return minimums


def minimums() -> dict[str, int]:
    return parse(getattr(settings, "RETENTION_MINIMUM_DAYS", ""))


def minimum(target: str) -> int:
    return minimums().get(target, 0)
