"""The password policy (S2; ASVS 5.0 L2, NIST SP 800-63B-4).

At least 12 characters for accounts with two-factor, 15 without; up to 128
accepted and never truncated; no composition rules, no forced rotation;
common passwords and words from the context (product, workspace, the user's
own email) refused. Whether two-factor applies is passed by the caller as
``user.password_needs_without_mfa`` or the validator's ``mfa`` option.
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


def min_length_for(user) -> int:
    if user is not None and getattr(user, "password_without_mfa", False):
        return MIN_WITHOUT_MFA
    return MIN_WITH_MFA


def _length(password: str) -> int:
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
            )

    def get_help_text(self) -> str:
        return _(
            "At least 12 characters (15 if your workspace does not use two-factor), "
            "up to 128. Spaces and any characters are welcome; a passphrase is easiest."
        )


class ContextWordValidator:
    """Refuse passwords built around the product name or the user's email."""

    def validate(self, password: str, user=None) -> None:
        folded = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", password).casefold())
        words = list(CONTEXT_WORDS)
        extra = getattr(user, "password_context_words", None) or []
        words.extend(extra)
        email = getattr(user, "email", "") if user is not None else ""
        if email:
            local = email.split("@")[0]
            words.extend(part for part in re.split(r"[\W_]+", local.casefold()) if len(part) >= 4)
        for word in words:
            word = re.sub(r"[\W_]+", "", word.casefold())
            if (
                len(word) >= 3
                and folded
                and (folded == word or (word in folded and len(folded) - len(word) < 8))
            ):
                raise ValidationError(
                    _("This password is too close to your email address or the product name."),
                    code="password_context",
                )

    def get_help_text(self) -> str:
        return _("It must not be built around your email address or the product name.")
