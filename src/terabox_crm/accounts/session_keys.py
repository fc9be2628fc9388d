"""Names of the session entries that carry authentication state.

Kept in one place because the accounts app writes them, middleware and the
step-up decorator read them, and tests set them (testing/auth.py).
"""

AUTH_STARTED_AT = "auth_started_at"  # epoch seconds of the sign-in (absolute timeout)
MFA_VERIFIED_AT = "mfa_verified_at"  # epoch seconds when the second factor was checked
STEP_UP_AT = "step_up_at"  # epoch seconds of the last step-up re-authentication
