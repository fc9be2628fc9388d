"""Sign-in by email and password, the email found through its blind index.

An unknown email costs the same as a wrong password: a password is hashed
either way, so the answer's timing does not tell whether an account exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = kwargs.get("email") or username
        if not email or password is None:
            return None
        user_model = get_user_model()
        user = user_model.objects.find_by_email(email)
        if user is None:
            # Same work as a real check, so an unknown email answers in the same time.
            user_model().set_password(password)
            return None
        # check_password also re-hashes a legacy hash (PBKDF2, older Argon2
        # parameters) with the current hasher when the password is right.
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
