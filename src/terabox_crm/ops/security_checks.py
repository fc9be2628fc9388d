"""The security report's TLS section (S1, S8): the serving certificate's
expiry and issuer, and the HSTS setting. Registered with ``core.evidence``
from ``OpsConfig.ready``: ops owns the certificate (``ops/tls.py``).

- certificate: fail once expired, warn within 30 days of expiry, warn when
  self-signed (browsers warn; production brings its own, CRM_TLS_CERT);
- HSTS: pass at a year or more, warn below, fail when off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from terabox_crm import datadir
from terabox_crm.core.evidence import FAIL, PASS, WARN, Finding
from terabox_crm.env import env_bool
from terabox_crm.ops import tls

EXPIRY_WARNING = timedelta(days=30)
HSTS_YEAR = 31_536_000


def certificate(*, now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(UTC)
    operator = tls.operator_paths()
    cert_path = operator[0] if operator else datadir.path() / "tls" / tls.CERT_NAME
    behind_proxy = env_bool("CRM_BEHIND_PROXY", False)
    if not cert_path.exists():
        return [
            Finding(
                "tls.certificate",
                "tls",
                WARN,
                _("TLS certificate"),
                _(
                    "No certificate yet: “terabox-crm serve” makes a self-signed one at its first start."
                ),
                {"path": str(cert_path), "behind_proxy": behind_proxy},
            )
        ]
    cert = tls.load_certificate(cert_path)
    not_after = cert.not_valid_after_utc
    days_left = (not_after - now).days
    self_signed = cert.issuer == cert.subject
    data = {
        "path": str(cert_path),
        "not_after": not_after.isoformat(),
        "days_left": days_left,
        "self_signed": self_signed,
        "behind_proxy": behind_proxy,
    }
    if not_after <= now:
        status, detail = (
            FAIL,
            _("The certificate expired on %(date)s.") % {"date": not_after.date().isoformat()},
        )
    elif not_after - now < EXPIRY_WARNING:
        status, detail = (
            WARN,
            _("The certificate expires in %(days)d day(s), on %(date)s: renew it.")
            % {
                "days": days_left,
                "date": not_after.date().isoformat(),
            },
        )
    elif self_signed:
        status = WARN
        detail = _(
            "The certificate is self-signed (valid until %(date)s): browsers warn. Set "
            "CRM_TLS_CERT and CRM_TLS_KEY to a certificate from a certificate authority."
        ) % {"date": not_after.date().isoformat()}
    else:
        status, detail = (
            PASS,
            _("Valid until %(date)s (%(days)d days left).")
            % {
                "date": not_after.date().isoformat(),
                "days": days_left,
            },
        )
    if behind_proxy:
        detail += " " + _(
            "A proxy terminates TLS in front of this server: check its certificate too."
        )
    return [Finding("tls.certificate", "tls", status, _("TLS certificate"), detail, data)]


def hsts() -> list[Finding]:
    seconds = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    data = {
        "max_age": seconds,
        "include_subdomains": bool(getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False)),
        "preload": bool(getattr(settings, "SECURE_HSTS_PRELOAD", False)),
    }
    if seconds >= HSTS_YEAR:
        status, detail = (
            PASS,
            _("Browsers are told to use HTTPS only for %(days)d days.")
            % {"days": seconds // 86400},
        )
    elif seconds > 0:
        status, detail = (
            WARN,
            _("HSTS lasts only %(seconds)d seconds: a year is the norm.") % {"seconds": seconds},
        )
    else:
        status, detail = FAIL, _("HSTS is off: browsers may be talked into plain HTTP.")
    return [Finding("tls.hsts", "tls", status, _("HTTP Strict Transport Security"), detail, data)]


def register() -> None:
    from terabox_crm.core import evidence

    evidence.register_check("tls.certificate", certificate)
    evidence.register_check("tls.hsts", hsts)
