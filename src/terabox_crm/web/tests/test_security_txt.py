"""``/.well-known/security.txt`` (RFC 9116): public plain text whose Contact
comes from the operator, whose Expires renews itself, and whose Policy line
appears once the security policy page exists (web/security_txt.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import path

from terabox_crm import settings as project_settings
from terabox_crm.testing.auth import login
from terabox_crm.urls import urlpatterns as project_urlpatterns
from terabox_crm.web import security_txt

pytestmark = pytest.mark.django_db

URL = "/.well-known/security.txt"


def _policy_page(request):  # the security policy page, as a later version will serve it
    from django.http import HttpResponse

    return HttpResponse("policy")


# A urlconf of the project plus a /security/ page (see test_policy_line_appears_…).
urlpatterns = [path("security/", _policy_page, name="security_policy"), *project_urlpatterns]


def _fields(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.splitlines())


def _get(client, **extra):
    return client.get(URL, secure=True, **extra)


def test_security_txt_is_public_utf8_plain_text(client):
    response = _get(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_every_line_is_a_field_and_the_file_ends_with_a_newline(client):
    text = _get(client).content.decode()
    assert text.endswith("\n")
    assert all(": " in line for line in text.splitlines())


def test_contact_is_the_operators_setting(client, settings):
    settings.SECURITY_CONTACT = "https://example.com/report-a-vulnerability"
    fields = _fields(_get(client).content.decode())
    assert fields["Contact"] == "https://example.com/report-a-vulnerability"


def test_contact_is_never_a_members_address(client, cast):
    text = _get(client).content.decode()
    for user in (cast.owner, cast.admin, cast.member, cast.outsider):
        assert user.email not in text


def test_default_contact_is_the_security_role_mailbox_at_the_sites_domain():
    assert project_settings._role_mailbox("https://crm.example.com") == (
        "mailto:security@crm.example.com"
    )


@pytest.mark.parametrize("site_url", ["https://127.0.0.1:8443", "https://[::1]:8443"])
def test_default_contact_on_a_bare_address_is_localhost(site_url):
    assert project_settings._role_mailbox(site_url) == "mailto:security@localhost"


def test_expires_is_in_the_future_and_less_than_a_year_ahead(client):
    expires = datetime.fromisoformat(_fields(_get(client).content.decode())["Expires"])
    now = datetime.now(UTC)
    assert now < expires < now + timedelta(days=365)


def test_expires_is_the_same_all_day():
    morning = datetime(2031, 5, 4, 0, 0, 1, tzinfo=UTC)
    evening = datetime(2031, 5, 4, 23, 59, 59, tzinfo=UTC)
    assert security_txt.content(now=morning) == security_txt.content(now=evening)


def test_expires_moves_forward_with_each_day():
    today = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
    later = _fields(security_txt.content(now=today + timedelta(days=1)))["Expires"]
    assert _fields(security_txt.content(now=today))["Expires"] == "2031-10-31T00:00:00Z"
    assert later == "2031-11-01T00:00:00Z"


def test_preferred_languages_are_japanese_and_english(client):
    assert _fields(_get(client).content.decode())["Preferred-Languages"] == "ja, en"


def test_canonical_is_this_files_https_address_under_the_site_url(client, settings):
    settings.SITE_URL = "https://crm.example.com/"
    fields = _fields(_get(client).content.decode())
    assert fields["Canonical"] == "https://crm.example.com/.well-known/security.txt"


def test_the_policy_line_points_at_the_security_policy_page(client, settings):
    settings.SITE_URL = "https://crm.example.com"
    assert _fields(_get(client).content.decode())["Policy"] == "https://crm.example.com/security/"


def test_no_policy_line_where_no_security_page_is_served():
    # The API's urlconf serves no /security/: the line is left out, not a 404.
    text = security_txt.content(now=datetime.now(UTC), urlconf="terabox_crm.api_urls")
    assert "Policy" not in _fields(text)


@pytest.mark.urls("terabox_crm.web.tests.test_security_txt")
def test_policy_line_appears_once_the_security_page_exists(client, settings):
    settings.SITE_URL = "https://crm.example.com"
    fields = _fields(_get(client).content.decode())
    assert fields["Policy"] == "https://crm.example.com/security/"


def test_top_level_security_txt_redirects_to_the_well_known_one(client):
    response = client.get("/security.txt", secure=True)
    assert response.status_code == 301
    assert response["Location"] == URL


def test_security_txt_may_be_cached_for_an_hour(client, cast):
    login(client, cast.member)  # even when signed in: nothing in it is personal
    cache_control = {part.strip() for part in _get(client)["Cache-Control"].split(",")}
    assert cache_control == {"max-age=3600", "public"}


def test_reading_it_sets_no_cookie_and_starts_no_session(client):
    response = _get(client)
    assert not response.cookies
    assert Session.objects.count() == 0


def test_a_member_who_must_still_enrol_two_factor_can_read_it(client, cast):
    login(client, cast.member, mfa=False)  # Acme requires two-factor: other pages redirect
    assert _get(client).status_code == 200


def test_it_answers_head_and_refuses_post(client):
    assert client.head(URL, secure=True).status_code == 200
    assert client.post(URL, secure=True).status_code == 405
