"""The password policy (S2): lengths by two-factor, no truncation, common and
context words — with its messages in Japanese and English."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import translation

from terabox_crm.accounts.tests.conftest import enrol
from terabox_crm.testing import factories

pytestmark = pytest.mark.django_db

# Letters that spell nothing, so only the length rule can object.
FILLER = "qa7 zu1 ke9 vo3 wi5 py2 " * 6


def _length(n: int) -> str:
    assert n <= len(FILLER)
    return FILLER[:n].rstrip() + "x" * (n - len(FILLER[:n].rstrip()))


def _errors(password: str, user) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.fixture
def with_mfa(cast):
    """A member of a workspace that requires two-factor."""
    return cast.member


@pytest.fixture
def without_mfa(relaxed):
    """A member of a workspace that lets members sign in with a password alone."""
    return relaxed.member


def test_eleven_characters_are_refused_with_two_factor(with_mfa):
    assert _errors(_length(11), with_mfa) == ["password_too_short"]


def test_twelve_characters_are_accepted_with_two_factor(with_mfa):
    assert _errors(_length(12), with_mfa) == []


def test_fourteen_characters_are_refused_without_two_factor(without_mfa):
    assert _errors(_length(14), without_mfa) == ["password_too_short"]


def test_fifteen_characters_are_accepted_without_two_factor(without_mfa):
    assert _errors(_length(15), without_mfa) == []


def test_a_relaxed_member_with_a_device_needs_only_twelve(without_mfa):
    enrol(without_mfa)
    assert _errors(_length(12), without_mfa) == []


def test_128_characters_are_accepted_and_129_refused(with_mfa):
    assert _errors(_length(128), with_mfa) == []
    assert _errors(_length(129), with_mfa) == ["password_too_long"]


def test_long_passwords_are_never_truncated(with_mfa):
    password = _length(100)
    with_mfa.set_password(password)
    assert with_mfa.check_password(password)
    assert not with_mfa.check_password(password[:-1])
    assert not with_mfa.check_password(password[:72])


def test_japanese_characters_count_one_each(with_mfa):
    assert _errors("あいうえおかきくけこさし", with_mfa) == []  # 12 characters
    assert _errors("あいうえおかきくけこさ", with_mfa) == ["password_too_short"]


def test_common_password_is_refused(with_mfa):
    assert "password_too_common" in _errors("1q2w3e4r5t6y7u8i", with_mfa)


@pytest.mark.parametrize(
    "password", ["Terabox2024!!x", "teraboxcrm-12345", "TERABOX terabox", "password12345!"]
)
def test_password_built_on_the_product_name_is_refused(with_mfa, password):
    assert "password_context" in _errors(password, with_mfa)


def test_password_built_on_the_email_is_refused(db):
    user = factories.make_user("hanako.yamada@example.co.jp")
    assert "password_context" in _errors("hanako.yamada2024!", user)
    assert "password_context" in _errors("Yamada-Hanako-99", user)


def test_password_built_on_the_workspace_name_is_refused(cast):
    assert "password_context" in _errors("Acme acme acme!", cast.member)


def test_passphrase_that_merely_mentions_the_product_is_accepted(with_mfa):
    assert _errors("we moved our customer files into terabox last spring", with_mfa) == []


def test_no_composition_rules(with_mfa):
    assert _errors("only lower case letters and spaces", with_mfa) == []


@pytest.mark.parametrize(
    ("language", "short", "long", "context"),
    [
        (
            "en",
            "Use at least 12 characters.",
            "Use at most 128 characters.",
            "This password is too close to your email address or the product name.",
        ),
        (
            "ja",
            "12文字以上にしてください。",
            "128文字以内にしてください。",
            "このパスワードはメールアドレスまたは製品名に近すぎます。",
        ),
    ],
)
def test_messages_in_both_languages(with_mfa, language, short, long, context):
    with translation.override(language):
        messages = []
        for password in (_length(11), _length(129), "Terabox2024!!x"):
            try:
                password_validation.validate_password(password, with_mfa)
            except ValidationError as error:
                messages.extend(error.messages)
    assert short in messages
    assert long in messages
    assert context in messages


def test_without_two_factor_message_names_fifteen(without_mfa):
    with translation.override("ja"), pytest.raises(ValidationError) as caught:
        password_validation.validate_password(_length(14), without_mfa)
    assert "15文字以上にしてください。" in caught.value.messages


def test_help_text_in_japanese_and_english():
    with translation.override("en"):
        english = " ".join(password_validation.password_validators_help_texts())
    with translation.override("ja"):
        japanese = " ".join(password_validation.password_validators_help_texts())
    assert "At least 12 characters" in english
    assert "12文字以上" in japanese
