"""Sign a test client in without going through the sign-in screens.

Tests of the sign-in flow itself use the real forms; everything else uses
``login(client, user)``, which leaves the session exactly as a completed
password + second-factor sign-in would (and optionally a fresh step-up).
"""

from __future__ import annotations

import time

from terabox_crm.accounts import session_keys


def login(client, user, *, mfa: bool = True, step_up: bool = False) -> None:
    client.force_login(user)
    session = client.session
    now = time.time()
    session[session_keys.AUTH_STARTED_AT] = now
    if mfa:
        session[session_keys.MFA_VERIFIED_AT] = now
    if step_up:
        session[session_keys.STEP_UP_AT] = now
    session.save()
