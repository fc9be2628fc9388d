"""/privacy/, /security/, /notices/: public, in Japanese and English, with the
version in force, the next one, the history and a safe diff (P10, P11, S10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from terabox_crm.policies.tests.helpers import in_force, version

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url,language,words",
    [
        ("/privacy/", "ja", ["テラボックス株式会社 プライバシーポリシー", "利用目的", "改訂履歴"]),
        ("/privacy/", "en", ["Terabox Inc. Privacy Policy", "used for", "History"]),
        ("/security/", "ja", ["Terabox CRM セキュリティポリシー", "委託先", "施行中"]),
        ("/security/", "en", ["Terabox CRM Security Policy", "Sub-processors", "In force"]),
        (
            "/notices/",
            "ja",
            ["お知らせ", "ポリシーの変更", "ポリシーの変更のお知らせはまだありません。"],
        ),
        (
            "/notices/",
            "en",
            ["Notices", "Policy changes", "No policy change has been announced yet."],
        ),
    ],
)
def test_the_public_pages_speak_both_languages_without_sign_in(client, url, language, words):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    for word in words:
        assert word in response.text, word


def test_the_language_switcher_changes_the_policy_language(client):
    client.post(reverse("web:set_language"), {"language": "en", "next": "/privacy/"})
    assert "Terabox Inc. Privacy Policy" in client.get("/privacy/").text
    client.post(reverse("web:set_language"), {"language": "ja", "next": "/privacy/"})
    assert "テラボックス株式会社 プライバシーポリシー" in client.get("/privacy/").text


def test_the_privacy_page_shows_the_contact_block_from_settings(client, settings):
    settings.PRIVACY_CONTACT = {"organisation_en": "Example KK", "email": "dpo@example.com"}
    text = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "Example KK" in text and "mailto:dpo@example.com" in text


def test_an_upcoming_version_is_announced_with_its_date_and_a_diff(client):
    upcoming = version("privacy", number=2, effective_in=timedelta(days=40))
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "A new version (version 2) takes effect on" in page
    assert "What version 2 changes" in page
    assert upcoming.get_absolute_url() in page
    assert "Version 1, in force since 17 Oct 2025" in page  # core/formats: one date format

    notices = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert "プライバシーポリシー 第 2 版を" in notices and "第2版の変更点" in notices

    diff = client.get(upcoming.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Changes from version 1" in diff
    assert '<div class="diff-line diff-added" role="row">' in diff
    assert "A sentence added in version 2." in diff
    assert "施行予定" in client.get(upcoming.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").text


def test_once_in_force_the_new_version_is_shown_and_the_old_one_is_history(client):
    in_force("security", number=2)
    page = client.get("/security/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "Version 2, in force since" in page and "A sentence added in version 2." in page
    assert "Replaced" in page
    old = client.get("/security/versions/1/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "A sentence added" not in old and "Replaced" in old


def test_the_diff_and_the_text_are_html_escaped(client):
    hostile = version(
        "privacy",
        number=2,
        body_en="# Policy\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>",
    )
    text = client.get(hostile.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_a_draft_or_unknown_version_is_not_found(client):
    draft = version("privacy", number=2, published_at=None)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/privacy/versions/99/").status_code == 404
    assert "第 2 版" not in client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="ja").text


def test_security_txt_points_at_the_security_policy(client, settings):
    settings.SITE_URL = "https://crm.example.com"
    text = client.get("/.well-known/security.txt").text
    assert "Policy: https://crm.example.com/security/" in text


def test_the_inventory_page_stays_at_privacy_inventory(client, cast):
    from terabox_crm.testing.auth import login

    login(client, cast.viewer)
    assert client.get("/privacy/inventory/").status_code == 200
    assert reverse("policies:privacy") == "/privacy/"
