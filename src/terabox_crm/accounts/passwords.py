"""The password policy (S2; ASVS 5.0 L2, NIST SP 800-63B-4).

At least 12 characters for accounts with two-factor, 15 without; up to 128
accepted and never truncated (the whole password is hashed); no composition
rules, no forced rotation; common passwords and words from the context
(product, the user's email, name and workspaces) refused.

Whether two-factor applies comes from ``user.password_without_mfa`` (see
``accounts.models.User``); with no user (e.g. a form that has none yet) the
12-character minimum applies and the other checks still run.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIN_WITH_MFA = 12
MIN_WITHOUT_MFA = 15
MAX_LENGTH = 128
CONTEXT_WORDS = ("terabox", "teraboxcrm", "crm", "password", "passw0rd")
# A password may contain context words if this much else remains without them:
# a passphrase that happens to mention the product is fine, "Terabox2024!" is not.
CONTEXT_SLACK = 8


def min_length_for(user) -> int:
    if user is not None and getattr(user, "password_without_mfa", False):
        return MIN_WITHOUT_MFA
    return MIN_WITH_MFA


def _length(password: str) -> int:
    # Characters as a person counts them: "が" typed as one character is one,
    # however the input method composed it.
    return len(unicodedata.normalize("NFC", password))


class LengthValidator:
    def validate(self, password: str, user=None) -> None:
        minimum = min_length_for(user)
        length = _length(password)
        if length < minimum:
            raise ValidationError(
                ngettext(
                    "Use at least %(min)d character.",
                    "Use at least %(min)d characters.",
                    minimum,
                )
                % {"min": minimum},
                code="password_too_short",
                params={"min": minimum},
            )
        if length > MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
                params={"max": MAX_LENGTH},
            )

    def get_help_text(self) -> str:
        return _(
            "At least 12 characters (15 if you sign in without two-factor authentication), "
            "up to 128. Spaces and any characters are welcome; a passphrase is easiest."
        )


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


class ContextWordValidator:
    """Refuse passwords built around the product name or the user's own details."""

    def _words(self, user) -> list[str]:
        words = list(CONTEXT_WORDS)
        if user is None:
            return words
        words.extend(getattr(user, "password_context_words", None) or [])
        email = getattr(user, "email", "") or ""
        if email:
            local, _at, domain = email.casefold().partition("@")
            words.append(local)
            words.extend(part for part in re.split(r"[\W_]+", local) if len(part) >= 4)
            # The organisation part of the domain ("acme" of acme.co.jp).
            words.extend(label for label in domain.split(".")[:-1] if len(label) >= 4)
        return words

    def validate(self, password: str, user=None) -> None:
        folded = _fold(password)
        if not folded:
            return
        words = sorted({_fold(w) for w in self._words(user)}, key=len, reverse=True)
        remainder = folded
        for word in words:
            if len(word) >= 3:
                remainder = remainder.replace(word, "")
        if remainder != folded and len(remainder) < CONTEXT_SLACK:
            raise ValidationError(
                _("This password is too close to your email address or the product name."),
                code="password_context",
            )

    def get_help_text(self) -> str:
        return _("It must not be built around your email address, your name or the product name.")
