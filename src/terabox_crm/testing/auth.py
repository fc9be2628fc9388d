"""Sign a test client in without going through the sign-in screens.

Tests of the sign-in flow itself use the real forms; everything else uses
``login(client, user)``, which leaves the session exactly as a completed
password + second-factor sign-in would (and optionally a fresh step-up):

* ``client.force_login`` goes through ``django.contrib.auth.login()``, whose
  ``user_logged_in`` receiver lists the session (``accounts.UserSession``)
  and starts its absolute clock — ``SessionPolicyMiddleware`` signs out
  sessions that are not listed;
* ``mfa=True`` stamps ``MFA_VERIFIED_AT``, which ``MFAEnforcementMiddleware``
  accepts as "second factor checked" even for a user without a device; with
  ``mfa=False`` a user whom a workspace requires to use two-factor is sent to
  enrolment, and a user with a confirmed device is signed out;
* ``step_up=True`` stamps ``STEP_UP_AT`` for ``@step_up_required`` views.
"""

from __future__ import annotations

import time

from terabox_crm.accounts import session_keys


def login(client, user, *, mfa: bool = True, step_up: bool = False) -> None:
    client.force_login(user, backend="terabox_crm.accounts.backends.EmailBackend")
    session = client.session
    now = time.time()
    session[session_keys.AUTH_STARTED_AT] = now
    if mfa:
        session[session_keys.MFA_VERIFIED_AT] = now
    if step_up:
        session[session_keys.STEP_UP_AT] = now
    session.save()
