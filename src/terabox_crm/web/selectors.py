"""Reads the shell's own pages need from other apps."""

from __future__ import annotations


def two_factor_enabled(user) -> bool | None:
    """Whether the user has a confirmed second factor; None when unknowable.

    Asks the accounts app (``User.has_confirmed_totp``); recovery codes back a
    factor up but are not one. None if accounts cannot tell, so the home page
    never claims a status it cannot back up.
    """
    value = getattr(user, "has_confirmed_totp", None)
    return bool(value) if value is not None else None
