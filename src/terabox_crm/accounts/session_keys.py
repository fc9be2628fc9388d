"""Names of the session entries that carry authentication state.

Kept in one place because the accounts app writes them, middleware and the
step-up decorator read them, and tests set them (testing/auth.py).

The contract other apps rely on:

* ``AUTH_STARTED_AT`` — set at every sign-in (``django.contrib.auth.login``);
  a signed-in session without it, or older than ``SESSION_ABSOLUTE_SECONDS``,
  is signed out (``SessionPolicyMiddleware``).
* ``MFA_VERIFIED_AT`` — set when the second factor was checked in this
  session (sign-in with TOTP or a recovery code, or confirming enrolment).
  A user with a confirmed device whose session lacks it is signed out; a user
  whom a workspace requires to use two-factor and whose session lacks it is
  sent to enrolment (``MFAEnforcementMiddleware``).
* ``STEP_UP_AT`` — set by the step-up page (and by a complete sign-in, which
  is itself a fresh password + second-factor check); ``stepup.step_up_required``
  accepts it for ``STEP_UP_SECONDS``.
"""

AUTH_STARTED_AT = "auth_started_at"  # epoch seconds of the sign-in (absolute timeout)
MFA_VERIFIED_AT = "mfa_verified_at"  # epoch seconds when the second factor was checked
STEP_UP_AT = "step_up_at"  # epoch seconds of the last step-up re-authentication

# Between the password and the second factor: {"user": id, "at": epoch seconds,
# "hash": session auth hash, "next": url}. Valid for PENDING_SECONDS; nobody is
# signed in until the second factor is checked.
LOGIN_PENDING = "login_pending"

# The workspace the session works in (core.middleware.WorkspaceMiddleware reads
# it; a complete sign-in sets it to the user's last workspace).
WORKSPACE = "workspace_id"
PENDING_SECONDS = 5 * 60
