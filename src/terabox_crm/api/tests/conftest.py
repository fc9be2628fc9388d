from __future__ import annotations

import re

import pytest

from terabox_crm.api import services
from terabox_crm.core.selectors import membership_in


@pytest.fixture
def make_token(cast):
    """``make_token(user, workspace=acme, scopes="read")`` → the secret string."""

    def make(user, workspace=None, scopes="read,write,export", days=90, name="test"):
        created = services.token_create(
            membership=membership_in(workspace or cast.acme, user),
            name=name,
            scopes=scopes,
            days=days,
        )
        return created.secret

    return make


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# The one form every date-time of the API takes: UTC with ``Z``.
UTC_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T")


def date_times(value):
    """Every string in a JSON value that looks like a date-time."""
    if isinstance(value, dict):
        for item in value.values():
            yield from date_times(item)
    elif isinstance(value, list):
        for item in value:
            yield from date_times(item)
    elif isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
        yield value
