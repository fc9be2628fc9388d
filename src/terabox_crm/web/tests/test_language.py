"""Language: the user's setting, then the cookie, then Accept-Language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

SWITCH = reverse("web:set_language")
LOGIN = reverse("accounts:login")


def _lang(response) -> str:
    content = response.content.decode()
    start = content.index('<html lang="') + len('<html lang="')
    return content[start : content.index('"', start)]


def test_anonymous_switch_sets_a_secure_http_only_same_site_cookie(client):
    response = client.post(SWITCH, {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME.startswith("__Host-")


def test_anonymous_choice_is_used_on_the_next_page(client):
    client.post(SWITCH, {"language": "en", "next": LOGIN})
    assert _lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="ja")) == "en"


def test_signed_in_switch_is_saved_on_the_user(client, cast):
    login(client, cast.member)
    client.post(SWITCH, {"language": "en", "next": "/"})
    cast.member.refresh_from_db()
    assert cast.member.language == "en"


def test_user_setting_beats_accept_language(client, cast):
    cast.member.language = "en"
    cast.member.save(update_fields=["language"])
    login(client, cast.member)
    assert _lang(client.get("/", HTTP_ACCEPT_LANGUAGE="ja")) == "en"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_accept_language_is_used_without_a_setting(client, cast, language):
    login(client, cast.member)
    assert cast.member.language == ""
    assert _lang(client.get("/", HTTP_ACCEPT_LANGUAGE=language)) == language


def test_japanese_is_the_default(client):
    assert _lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")) == "ja"


def test_unknown_language_changes_nothing(client, cast):
    login(client, cast.member)
    response = client.post(SWITCH, {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    cast.member.refresh_from_db()
    assert cast.member.language == ""


def test_switch_never_redirects_to_another_site(client):
    response = client.post(SWITCH, {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_switch_needs_post(client):
    assert client.get(SWITCH + "?language=en").status_code == 405


def test_switcher_marks_the_current_language(client):
    content = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="en" lang="en" aria-pressed="true"' in content
    assert 'value="ja" lang="ja" aria-pressed="false"' in content
