"""Typed readers for settings that come from the environment.

Every setting of the product is read here or through these helpers, so the
set of knobs an operator has is the set of ``env_*`` calls in settings.py.
``env_secret`` also accepts ``NAME_FILE`` pointing at a file (Docker/K8s
secrets), which keeps secrets out of process listings.
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the process must not start."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """Return the secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    value = os.environ.get(name)
    if value:
        return value.strip()
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return None


def env_subset(name: str, default: list[str], allowed: set[str]) -> list[str]:
    """A comma-separated list drawn from ``allowed``; ``none`` means the empty list."""
    values = env_list(name, default)
    if [value.lower() for value in values] == ["none"]:
        return []
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ConfigurationError(
            f"{name} accepts {', '.join(sorted(allowed))} or none; got {', '.join(unknown)}"
        )
    return values


def env_uri(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    """A URI with one of ``schemes``: ``mailto:`` needs an address, the others a host.

    Refused with anything that could break the line it is written on
    (whitespace, control characters), since such values end up in headers
    and line-based files such as security.txt.
    """
    from urllib.parse import urlsplit

    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    well_formed = (
        scheme in schemes
        and not any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in value)
        and ("@" in parts.path if scheme == "mailto" else bool(parts.hostname))
    )
    if not well_formed:
        raise ConfigurationError(
            f"{name} must be a {' or '.join(f'{s}:' for s in schemes)} URI, got {value!r}"
        )
    return value
