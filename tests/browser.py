"""Shared pieces of the browser tests: Debian's Chromium through Playwright,
TOTP codes from an enrolment page's key, and where screenshots go."""

from __future__ import annotations

import base64
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def totp(secret: str, at: float) -> str:
    from django_otp.oath import TOTP

    compact = secret.replace(" ", "").upper()
    generator = TOTP(base64.b32decode(compact + "=" * (-len(compact) % 8)), step=30, digits=6)
    generator.time = at
    return f"{generator.token():06d}"
