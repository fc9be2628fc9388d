""" "This wasn't me" revokes every personal access token of the account
(S13, S14), in every workspace, audited in each one's chain, and says so on
the confirmation page in Japanese and English; other people's tokens stay."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.accounts import not_me
from terabox_crm.api.models import ApiToken
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.audit.models import AuditEvent
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

NOT_ME = reverse("accounts:not_me")
EVENTS = "/api/v1/contacts/"


@pytest.fixture
def tokens(cast, make_token):
    """The member holds two tokens in Acme and one in Initech; the admin one."""
    initech = factories.make_workspace("Initech")
    factories.add_member(initech, cast.member)
    return {
        "mine": [
            make_token(cast.member, name="laptop"),
            make_token(cast.member, name="script"),
            make_token(cast.member, workspace=initech, name="initech"),
        ],
        "theirs": make_token(cast.admin, name="admin's"),
        "initech": initech,
    }


def _live(user) -> int:
    with scopes_disabled():
        return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def test_the_page_says_tokens_will_be_revoked(client, cast):
    login(client, cast.member)
    page = client.get(NOT_ME, secure=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "API トークンをすべて無効にします" in page
    page = client.get(NOT_ME, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revoke every API token of the account, in every workspace" in page


@pytest.mark.parametrize(
    ("language", "said"), [("en", "3 API tokens were revoked."), ("ja", "API トークン3件")]
)
def test_reporting_revokes_every_token_of_the_account(client, cast, tokens, language, said):
    assert client.get(EVENTS, secure=True, **bearer(tokens["mine"][0])).status_code == 200
    token = not_me.make_token(cast.member)
    done = (
        Client()
        .post(NOT_ME, {"token": token}, secure=True, HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert said in done
    assert _live(cast.member) == 0 and _live(cast.admin) == 1
    for secret in tokens["mine"]:
        assert client.get(EVENTS, secure=True, **bearer(secret)).status_code == 401
    assert client.get(EVENTS, secure=True, **bearer(tokens["theirs"])).status_code == 200
    revoked = AuditEvent.objects.filter(action="api.token.revoked")
    assert {str(e.workspace_id) for e in revoked} == {
        str(cast.acme.pk),
        str(tokens["initech"].pk),
    }
    assert revoked.count() == 3
    assert all(e.payload == {"reason": "not_me", "via": "email"} for e in revoked)
    assert all(e.actor_id == cast.member.pk for e in revoked)


def test_a_forged_link_revokes_nothing(cast, tokens):
    Client().post(NOT_ME, {"token": "forged"}, secure=True)
    assert _live(cast.member) == 3
    assert not AuditEvent.objects.filter(action="api.token.revoked").exists()
