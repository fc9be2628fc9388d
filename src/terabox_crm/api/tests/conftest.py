from __future__ import annotations

import pytest

from terabox_crm.api import services


@pytest.fixture
def make_token(cast):
    """``make_token(user, workspace=acme, scopes="read")`` → the secret string."""

    def make(user, workspace=None, scopes="read,write,export", days=90, name="test"):
        created = services.token_create(
            actor=user, workspace=workspace or cast.acme, name=name, scopes=scopes, days=days
        )
        return created.secret

    return make


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
