"""The second factor (S14): TOTP codes and one-time recovery codes.

TOTP is RFC 6238 as every authenticator app implements it (SHA-1, 6 digits,
30-second steps), computed by django-otp's ``oath.TOTP``; we keep our own
model because django-otp's stores the secret in clear. A code is accepted in
the current step or one step either side, and only for a step later than the
last accepted one, so each code works once even within its 90 seconds.

Recovery codes are 16 characters from a 31-letter alphabet (≈ 79 bits), so
a salted SHA-256 is enough to store them: there is no dictionary to try.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from urllib.parse import quote, urlencode

import segno
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from terabox_crm.accounts.models import RecoveryCode, TOTPDevice

ISSUER = "Terabox CRM"
DIGITS = 6
STEP = 30
TOLERANCE = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 16
_CODE_RE = re.compile(r"^\d{6}$")


def now() -> float:
    return time.time()


def new_secret() -> str:
    """A fresh 160-bit TOTP key (RFC 4226 recommends 160 bits), hex encoded."""
    return secrets.token_hex(20)


def base32_secret(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(device.secret)).decode().rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def provisioning_uri(device: TOTPDevice, account_name: str) -> str:
    label = quote(f"{ISSUER}:{account_name}")
    query = urlencode(
        {
            "secret": base32_secret(device),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str, title: str) -> str:
    """The QR code as inline SVG markup: no image request, no data: URI, no script.

    A viewBox lets the stylesheet size it; the width and height attributes
    keep it sensible without one.
    """
    markup = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title, omitsize=True
    )
    return markup.replace("<svg ", '<svg width="192" height="192" role="img" ', 1)


def normalise_code(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").lower()


def looks_like_totp(text: str) -> bool:
    return bool(_CODE_RE.match(normalise_code(text)))


def _totp(device: TOTPDevice) -> TOTP:
    totp = TOTP(bytes.fromhex(device.secret), step=STEP, t0=0, digits=DIGITS)
    totp.time = now()
    return totp


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code the device shows now (tests and the enrolment self-check)."""
    totp = _totp(device)
    totp.drift = offset_steps
    return f"{totp.token():0{DIGITS}d}"


def verify_totp(device: TOTPDevice, code: str) -> bool:
    """Accept ``code`` once: it must match a step in ±1 and be later than the last used."""
    code = normalise_code(code)
    if not _CODE_RE.match(code):
        return False
    totp = _totp(device)
    if not totp.verify(int(code), tolerance=TOLERANCE, min_t=device.last_t + 1):
        return False
    step = totp.t()
    # Conditional update: two requests racing with the same code cannot both win.
    won = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=step).update(
        last_t=step, last_used_at=timezone.now()
    )
    if won:
        device.last_t = step
    return bool(won)


def _hash_recovery(user_id, code: str) -> str:
    return hashlib.sha256(f"tbx-recovery:{user_id}:{normalise_code(code)}".encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


@transaction.atomic
def replace_recovery_codes(user) -> list[str]:
    """Issue ten new recovery codes (the old ones stop working); return them in clear, once."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash_recovery(user.pk, code)) for code in codes]
    )
    return codes


def use_recovery_code(user, code: str) -> bool:
    """Spend one recovery code; False if it is unknown or already used."""
    normalised = normalise_code(code)
    if len(normalised) != RECOVERY_LENGTH:
        return False
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_hash_recovery(user.pk, normalised), used_at__isnull=True
    ).update(used_at=timezone.now())
    return bool(spent)


def remaining_recovery_codes(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def verify_second_factor(user, code: str) -> str | None:
    """Check a TOTP code or a recovery code; return ``"totp"``, ``"recovery_code"`` or None."""
    device = confirmed_device(user)
    if device is None:
        return None
    if looks_like_totp(code):
        return "totp" if verify_totp(device, code) else None
    return "recovery_code" if use_recovery_code(user, code) else None
