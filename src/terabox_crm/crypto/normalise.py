"""Normalisation before blind indexing (S3, DESIGN §3).

Equal values must give equal index terms however a person typed them:
full-width digits and letters, case, spaces, ``+81`` vs a leading ``0``,
katakana vs hiragana. Normalising is also validation: a value that cannot be
normalised (an email without ``@``, a phone number no country uses) raises
``ValueError`` with a message the form layer translates.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

DEFAULT_REGION = "JP"
SEPARATORS = re.compile(r"[\s\u3000・,、。/／()（）「」『』\-‐–—]+", re.UNICODE)
_KATAKANA = re.compile(r"[\u30a1-\u30f6]")


def email(value: str, *, check: bool = True) -> str:
    """The one folding of an email address every index and comparison uses
    (NFKC, trimmed, lower case). ``check=False`` folds whatever was typed
    without judging it: a sign-in or throttling key, a stored account email."""
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if not check:
        return text
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or " " in text:
        raise ValueError("not an email address")
    return text


def phone(value: str, region: str = DEFAULT_REGION) -> str:
    """E.164 (``+81312345678``): Japanese national numbers become +81."""
    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", value), region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """NFKC (full/half width), casefold, katakana → hiragana."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _KATAKANA.sub(lambda m: chr(ord(m.group()) - 0x60), folded)


_HIRAGANA = re.compile(r"[\u3041-\u3096\u309d\u309e]")
_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")


def katakana(value: str) -> str:
    """A reading (フリガナ) as stored: hiragana and half-width katakana become
    full-width katakana (やまだ → ヤマダ, ﾔﾏﾀﾞ → ヤマダ); everything else is
    kept as typed."""
    full = _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)
    return _HIRAGANA.sub(lambda m: chr(ord(m.group()) + 0x60), full)


def name_tokens(value: str) -> list[str]:
    """Whole tokens of a name for whole-token search, normalised, unique, in order.

    Japanese names are usually written without a space between family and
    given name; staff search for either part, so store "山田 花子" as the
    user typed it (two tokens) and rely on the form's separate family/given
    fields for unspaced input.
    """
    seen: list[str] = []
    for token in SEPARATORS.split(fold(value)):
        token = token.strip(".'\"")
        if token and token not in seen:
            seen.append(token)
    return seen
