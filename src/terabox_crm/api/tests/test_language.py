"""The language of the API's problem titles (S1; api/middleware.py): the first
language of ``Accept-Language`` the API speaks, else English — never the
token owner's UI language, the signed-in user's or the language cookie."""

from __future__ import annotations

import pytest
from django.conf import settings

from terabox_crm.api.middleware import api_language
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

MISSING = "/api/v1/contacts/00000000-0000-4000-8000-000000000000/"
NOT_FOUND = {"en": "Not found.", "ja": "見つかりません。"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("", "en"),
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR, ja;q=0.5", "ja"),
        ("fr-FR", "en"),
        ("*", "en"),
    ],
)
def test_accept_language_first_then_english(header, language):
    assert api_language(header) == language


@pytest.fixture
def japanese_owner(cast):
    cast.member.language = "ja"
    cast.member.save(update_fields=["language"])
    return cast.member


def _title(response) -> str:
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["title"]


def test_a_token_of_a_japanese_user_gets_english_without_accept_language(
    client, make_token, japanese_owner
):
    secret = make_token(japanese_owner)
    response = client.get(MISSING, **bearer(secret))
    assert _title(response) == NOT_FOUND["en"]
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_token_gets_the_language_it_asks_for(client, cast, make_token, language):
    secret = make_token(cast.member)
    response = client.get(MISSING, **bearer(secret), HTTP_ACCEPT_LANGUAGE=language)
    assert _title(response) == NOT_FOUND[language]
    assert response["Content-Language"] == language


def test_a_session_and_the_language_cookie_do_not_choose_the_api_language(client, japanese_owner):
    login(client, japanese_owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    response = client.get(MISSING)
    assert _title(response) == NOT_FOUND["en"]
    # The screens keep the user's own language.
    page = client.get("/")
    assert page["Content-Language"] == "ja"
