"""The ``/api-tokens/`` page: list, create (step-up, shown once), revoke."""

from __future__ import annotations

import re

from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.api.models import ApiToken
from terabox_crm.audit.models import AuditEvent
from terabox_crm.testing.auth import login

LIST = reverse("api_tokens:list")
CREATE = reverse("api_tokens:create")
FORM = {"name": "Accounting sync", "scopes": ["read", "write"], "days": "30"}


def test_anonymous_is_sent_to_sign_in(client, cast):
    response = client.get(LIST, secure=True)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_page_lists_own_tokens_only(client, cast, make_token):
    make_token(cast.member, name="Mine")
    make_token(cast.admin, name="Not mine")
    login(client, cast.member)
    page = client.get(LIST, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mine" in page and "Not mine" not in page
    assert "API tokens" in page


def test_the_page_in_japanese(client, cast):
    login(client, cast.member)
    page = client.get(LIST, secure=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "API トークン" in page
    assert "トークンを作成" in page


def test_creating_needs_a_fresh_step_up(client, cast):
    login(client, cast.member, step_up=False)
    response = client.post(CREATE, FORM, secure=True)
    assert response.status_code == 302
    assert reverse("accounts:step_up") in response["Location"]
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_create_shows_the_token_once(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(CREATE, FORM, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    secret = re.search(r'id="new-token">(tbx_[A-Za-z0-9]+)<', response.content.decode()).group(1)
    with scopes_disabled():
        token = ApiToken.objects.get()
    assert token.token_hash == ApiToken.hash_secret(secret)
    assert token.scopes == ["read", "write"]
    assert (token.expires_at - token.created_at).days in (29, 30)
    again = client.get(LIST, secure=True).content.decode()
    assert secret not in again and token.prefix in again
    assert AuditEvent.objects.filter(action="api.token.created", object_id=str(token.pk)).exists()


def test_bad_input_changes_nothing(client, cast):
    login(client, cast.member, step_up=True)
    for form, message in (
        ({**FORM, "name": ""}, "Give the token a name."),
        ({**FORM, "scopes": []}, "Choose at least one scope."),
        ({**FORM, "days": "400"}, "A token lives between 1 and 365 days."),
    ):
        response = client.post(CREATE, form, secure=True, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert message in response.content.decode()
    response = client.post(CREATE, {**FORM, "days": "0"}, secure=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert "トークンの有効期間は 1〜365 日です。" in response.content.decode()
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_revoke_own_token(client, cast, make_token):
    secret = make_token(cast.member)
    with scopes_disabled():
        token = ApiToken.objects.get(token_hash=ApiToken.hash_secret(secret))
    login(client, cast.member)
    response = client.post(reverse("api_tokens:revoke", args=[token.pk]), secure=True)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_someone_elses_token_is_404(client, cast, make_token):
    secret = make_token(cast.member)
    with scopes_disabled():
        token = ApiToken.objects.get(token_hash=ApiToken.hash_secret(secret))
    login(client, cast.owner, step_up=True)
    response = client.post(reverse("api_tokens:revoke", args=[token.pk]), secure=True)
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_user_menu_links_the_page(client, cast):
    login(client, cast.viewer)
    page = client.get(reverse("web:home"), secure=True).content.decode()
    assert f'href="{LIST}"' in page


def test_the_days_help_is_in_the_language_of_the_page():
    from django.utils import translation

    from terabox_crm.api.forms import TokenForm

    for language, text in (("en", "At most 365 days."), ("ja", "最長 365 日です。")):
        with translation.override(language):
            assert str(TokenForm().fields["days"].help_text) == text
