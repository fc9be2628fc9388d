"""The data-inventory page and ``GET /api/v1/data-inventory`` (P1): every
declared personal field, labelled in the reader's language, for any member."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terabox_crm import inventory
from terabox_crm.testing.auth import login

PAGE = "/privacy/inventory/"
API = "/api/v1/data-inventory"


def test_urls_are_where_the_issue_says():
    assert reverse("privacy:inventory") == PAGE
    assert reverse("api:data-inventory") == API


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "member", "viewer"])
def test_every_member_sees_the_page(client, cast, role):
    login(client, getattr(cast, role))
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_the_page_in_english_lists_every_personal_field_by_category(client, cast):
    login(client, cast.viewer)
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "<h1>Personal data inventory</h1>" in html
    assert "Contact details (email, phone, address)" in html
    assert "Device and network data (IP address, browser)" in html
    assert "Security of the service and its users" in html
    assert "While the account exists" in html
    assert "One-way Argon2id hash, never the password" in html
    rows = [row for group in response.context["groups"] for row in group.rows]
    declared = {(item.model, item.field) for item in inventory.personal_fields()}
    assert {(row.model, row.field) for row in rows} == declared
    for group in response.context["groups"]:
        assert {row.category for row in group.rows} == {group.code}
    user_email = next(r for r in rows if (r.model, r.field) == ("accounts.User", "email"))
    assert (user_email.model_label, user_email.field_label) == ("User", "Email")
    assert user_email.encrypted is True
    password = next(r for r in rows if r.field == "password")
    assert password.encrypted is False


def test_the_page_in_japanese(client, cast):
    login(client, cast.member)
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "個人データの一覧" in html
    assert "連絡先（メールアドレス、電話番号、住所）" in html
    assert "ユーザー" in html  # accounts.User's plain verbose name, translated here
    assert "アカウントが存在する間" in html
    assert "暗号化" in html
    assert ">個人データ</a>" in html  # the navigation link, from this app's catalog


def test_the_navigation_links_to_the_page(client, cast):
    login(client, cast.viewer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert f'href="{PAGE}"' in html and "Personal data" in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_signed_in_user_without_a_workspace_is_refused(client, db):
    from terabox_crm.testing import factories

    loner = factories.make_user("loner@example.com")
    login(client, loner)
    assert client.get(PAGE).status_code in {302, 403}
    assert client.get(API).status_code == 403


def test_the_api_gives_the_same_rows_with_stable_keys_in_english(client, cast):
    login(client, cast.viewer)
    response = client.get(API, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    fields = [field for category in body["categories"] for field in category["fields"]]
    declared = {(item.model, item.field) for item in inventory.personal_fields()}
    assert body["count"] == len(fields) == len(declared)
    assert {(f["model"], f["field"]) for f in fields} == declared
    email = next(f for f in fields if (f["model"], f["field"]) == ("accounts.User", "email"))
    assert set(email) == {
        "model",
        "model_label",
        "field",
        "field_label",
        "category",
        "category_label",
        "purposes",
        "retention",
        "encrypted",
        "note",
    }
    assert email["category"] == "contact"
    assert email["category_label"] == "Contact details (email, phone, address)"
    assert {"code": "security", "label": "Security of the service and its users"} in email[
        "purposes"
    ]
    assert email["retention"] == {
        "code": "account",
        "label": "While the account exists",
        "days": None,
    }
    assert email["encrypted"] is True
    assert body["categories"][0]["code"] == "identity"  # in declaration order


def test_the_api_labels_follow_the_request_language(client, cast):
    login(client, cast.member)
    body = client.get(API, HTTP_ACCEPT_LANGUAGE="ja").json()
    contact = next(c for c in body["categories"] if c["code"] == "contact")
    assert contact["label"] == "連絡先（メールアドレス、電話番号、住所）"
    email = next(f for f in contact["fields"] if f["model"] == "accounts.User")
    assert email["model"] == "accounts.User" and email["field"] == "email"  # codes stay English
    assert email["model_label"] == "ユーザー"
    assert email["retention"]["label"] == "アカウントが存在する間"


def test_the_api_refuses_anonymous_requests_with_a_problem(client, db):
    response = client.get(API)
    assert response.status_code in {401, 403}
    assert response["Content-Type"] == "application/problem+json"


def test_the_api_is_in_the_openapi_schema(client, cast):
    login(client, cast.viewer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/data-inventory" in schema
