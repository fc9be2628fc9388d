"""``CRM_EMAIL_URL`` → Django email settings.

``smtp://user:pass@host:587`` (STARTTLS, the default for 587),
``smtps://user:pass@host:465`` (implicit TLS), ``smtp+insecure://host:25``
(plain: only for a relay on the same host or tests).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from terabox_crm.env import ConfigurationError


def parse_email_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps", "smtp+insecure"}:
        raise ConfigurationError(
            "CRM_EMAIL_URL must start with smtp://, smtps:// or smtp+insecure://"
        )
    if not parts.hostname:
        raise ConfigurationError("CRM_EMAIL_URL needs a host")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": 20,
    }
