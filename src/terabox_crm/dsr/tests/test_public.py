"""The public request page (P9): no sign-in, ja and en, the same answer
whether or not the address is known, one-time links, throttling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.dsr import services, throttle
from terabox_crm.dsr.models import Submission
from terabox_crm.dsr.tests.helpers import file_request, link_in, make_contact, messages_to

pytestmark = pytest.mark.django_db


def test_the_page_is_at_the_contract_url_and_needs_no_sign_in(client):
    assert reverse("dsr_public:request") == "/privacy/request/"
    response = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Requests about your personal data" in page
    for kind in ("Correction", "Restriction of use", "Withdrawal of consent", "Deletion"):
        assert kind in page
    assert "captcha" not in page.lower()


def test_the_page_speaks_japanese(client):
    page = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "個人情報に関するご請求" in page
    assert "削除" in page


@pytest.mark.parametrize(
    ("language", "legend", "explains"),
    [
        ("ja", "ご請求の内容", "保存したまま、利用を停止"),
        ("en", "What would you like us to do?", "kept but no longer used"),
    ],
)
def test_the_request_types_are_a_fieldset_with_a_legend_and_a_line_each(
    client, language, legend, explains
):
    """The radio group is named by its <legend> (not a <label for="">), and
    each choice has its own label and a one-line explanation tied to it."""
    from terabox_crm.dsr.models import Kind
    from terabox_crm.web.tests.html import parse

    response = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE=language)
    page = parse(response.content)
    assert 'for=""' not in response.content.decode()
    [fieldset] = [f for f in page.find_all("fieldset") if f.find("input")]
    assert fieldset.find("legend").text().strip() == legend
    radios = [i for i in fieldset.find_all("input") if i.attrs.get("type") == "radio"]
    assert [r.attrs["value"] for r in radios] == list(Kind.values)
    labels = {label.attrs.get("for"): label for label in fieldset.find_all("label")}
    helps = {p.attrs.get("id"): p.text().strip() for p in fieldset.find_all("p", "help")}
    for radio in radios:
        assert radio.attrs["id"] in labels
        assert helps[radio.attrs["aria-describedby"]]  # a line of its own
    assert explains in " ".join(helps.values())


def test_a_refused_request_keeps_the_chosen_type_and_ties_its_error(client, db):
    body = file_request(client, "a@example.jp", kind="correction").content.decode()
    assert re.search(r'value="correction"[^>]*checked', body)
    # No type chosen: the fieldset is described by its error.
    body = file_request(client, "a@example.jp", kind="").content.decode()
    assert 'aria-describedby="id_kind_errors"' in body
    assert 'id="id_kind_errors"' in body


def _without_secrets(html: str) -> str:
    return re.sub(r"[A-Za-z0-9+/=_-]{20,}", "…", html)


def _answer(client, address):
    response = file_request(client, address)
    return response.status_code, response.content.decode()


def test_a_known_and_an_unknown_address_get_the_same_answer(client, cast):
    make_contact(cast.owner_membership, "known@example.jp")
    known = _answer(client, "known@example.jp")
    unknown = _answer(client, "nobody@example.jp")
    assert known[0] == unknown[0] == 200
    # Only per-response secrets (CSRF token, CSP nonce) may differ.
    assert _without_secrets(known[1]) == _without_secrets(unknown[1])


def test_both_addresses_get_a_verification_link_by_email(
    client, cast, smtp_server, django_capture_on_commit_callbacks
):
    make_contact(cast.owner_membership, "known@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client, "known@example.jp")
        file_request(client, "nobody@example.jp")
    assert smtp_server.event.wait(10)
    for address in ("known@example.jp", "nobody@example.jp"):
        (message,) = messages_to(smtp_server, address)
        assert link_in(message, "verify")


def test_the_link_email_is_in_the_language_of_the_page(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/privacy/request/",
            {"email": "hanako@example.jp", "kind": "access"},
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert smtp_server.event.wait(10)
    (message,) = messages_to(smtp_server, "hanako@example.jp")
    assert "確認" in str(message["Subject"])


def test_only_a_hash_of_the_token_is_stored(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client, "a@example.jp")
    assert smtp_server.event.wait(10)
    token = link_in(messages_to(smtp_server, "a@example.jp")[0], "verify")
    with scopes_disabled():
        submission = Submission.objects.get()
    assert submission.token_hash and token not in submission.token_hash
    assert submission.expires_at - submission.link_sent_at == timedelta(hours=24)


def test_a_correction_needs_to_say_what_to_correct(client, db):
    response = file_request(client, "a@example.jp", kind="correction")
    assert response.status_code == 400
    assert "誤っている内容と、正しい内容" in response.content.decode()
    with scopes_disabled():
        assert not Submission.objects.exists()


def _token(client, smtp_server, callbacks, address="a@example.jp"):
    with callbacks(execute=True):
        file_request(client, address)
    assert smtp_server.event.wait(10)
    return link_in(messages_to(smtp_server, address)[-1], "verify")


def test_opening_the_link_asks_to_confirm_and_confirming_verifies(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    token = _token(client, smtp_server, django_capture_on_commit_callbacks)
    url = reverse("dsr_public:verify", args=[token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Confirm the request" in page.content.decode()
    with scopes_disabled():
        assert Submission.objects.get().verified_at is None
    done = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 200 and "Request confirmed" in done.content.decode()
    with scopes_disabled():
        assert Submission.objects.get().verified_at is not None


def _refusals(reason):
    return AuditEvent.objects.filter(
        action="security.dsr.link_refused", payload__reason=reason
    ).count()


def test_a_forged_link_is_refused_with_a_security_event(client, db):
    response = client.post(
        reverse("dsr_public:verify", args=["forged-token"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert _refusals("link_unknown") == 1


def test_a_reused_link_is_refused_with_a_security_event(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    token = _token(client, smtp_server, django_capture_on_commit_callbacks)
    url = reverse("dsr_public:verify", args=[token])
    client.post(url)
    again = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert _refusals("link_used") == 1


def test_an_expired_link_is_refused_and_changes_nothing(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    token = _token(client, smtp_server, django_capture_on_commit_callbacks)
    with scopes_disabled():
        Submission.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("dsr_public:verify", args=[token]), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 410
    assert "有効期限" in response.content.decode()
    with scopes_disabled():
        assert Submission.objects.get().verified_at is None
    assert _refusals("link_expired") == 1


def test_a_flood_for_one_address_is_throttled_once_recorded(client, db):
    for _ in range(throttle.ADDRESS_LIMIT):
        assert file_request(client, "flood@example.jp").status_code == 200
    for _ in range(2):
        response = file_request(client, "flood@example.jp", **{})
        assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many requests" in response.content.decode() or "多すぎ" in response.content.decode()
    assert AuditEvent.objects.filter(action="security.dsr.throttled").count() == 1
    with scopes_disabled():
        assert Submission.objects.count() == throttle.ADDRESS_LIMIT


def test_a_flood_from_one_ip_is_throttled(client, db):
    for number in range(throttle.IP_LIMIT):
        assert file_request(client, f"p{number}@example.jp").status_code == 200
    response = file_request(client, "another@example.jp")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="security.dsr.throttled", payload__scope="ip").exists()


def test_a_workspace_page_exists_for_its_slug_and_id_only(client, cast):
    assert client.get(f"/privacy/request/{cast.acme.slug}/").status_code == 200
    assert client.get(f"/privacy/request/{cast.acme.pk}/").status_code == 200
    assert client.get("/privacy/request/no-such-workspace/").status_code == 404


def test_submissions_are_deleted_30_days_after_their_link_expired(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    _token(client, smtp_server, django_capture_on_commit_callbacks)
    with scopes_disabled():
        expires = Submission.objects.get().expires_at
    assert services.submissions_prune(now=expires + timedelta(days=29)) == 0
    assert services.submissions_prune(now=expires + timedelta(days=31)) == 1
    with scopes_disabled():
        assert not Submission.objects.exists()


@pytest.mark.parametrize("address", ["someone@localhost", "not-an-address", ""])
def test_an_address_we_cannot_mail_is_refused_with_a_reason(client, db, address):
    response = client.post(
        "/privacy/request/", {"email": address, "kind": "access"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert 'class="errors"' in response.content.decode()
    with scopes_disabled():
        assert not Submission.objects.exists()
