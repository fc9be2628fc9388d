"""First run (S14): forced two-factor enrolment shows a minimal header — every
menu link would lead back to enrolment — with the instruction as a note, not
an error; the recovery codes can be copied, downloaded as a text file and
printed; a first enrolment does not speak of earlier codes."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from terabox_crm.accounts.tests.conftest import enrol
from terabox_crm.accounts.tests.test_totp import _code_for, _secret_from_page
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:mfa_enrol")
DOWNLOAD = re.compile(r'href="data:text/plain;charset=utf-8,([^"]+)" download="([^"]+)"')
EARLIER = {
    "en": "Any recovery codes you had before no longer work.",
    "ja": "以前のリカバリーコード",
}


def _header(html: str) -> str:
    return html.split("<main", 1)[0]


@pytest.mark.parametrize(
    ("language", "instruction", "sign_out"),
    [
        ("en", "Your workspace requires two-factor authentication.", "Sign out"),
        ("ja", "ワークスペースで2段階認証が必須になっています", "ログアウト"),
    ],
)
def test_forced_enrolment_shows_a_minimal_header_and_a_note(
    client, cast, language, instruction, sign_out
):
    login(client, cast.member, mfa=False, step_up=True)
    html = client.get(ENROL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    header = _header(html)
    assert "topbar-minimal" in header
    # No menu, search, bell or workspace switcher: all of them lead back here.
    for leading_back in ("mainnav", "search", "bell", "user-menu", "workspace-switch"):
        assert leading_back not in header
    assert f'href="{reverse("web:home")}"' not in header
    assert f">{sign_out}</button>" in header
    assert reverse("accounts:logout") in header
    assert 'name="language" value="en"' in header
    note = re.search(r'<p class="([^"]+)" role="note">([^<]+)</p>', html)
    assert note is not None
    assert instruction in note.group(2)
    assert "errors" not in note.group(1)


def test_enrolment_chosen_from_account_security_keeps_the_full_header(client, relaxed):
    login(client, relaxed.member, step_up=True)
    header = _header(client.get(ENROL).content.decode())
    assert "topbar-minimal" not in header
    assert "mainnav" in header


@pytest.mark.parametrize("language", ["en", "ja"])
def test_first_recovery_codes_can_be_copied_downloaded_and_printed(client, cast, language):
    login(client, cast.member, mfa=False, step_up=True)
    secret = _secret_from_page(client.get(ENROL).content.decode())
    response = client.post(ENROL, {"code": _code_for(secret)}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", html)
    assert len(codes) == 10
    # Download: a text file with whom the codes are for and one code a line.
    text, filename = DOWNLOAD.search(html).groups()
    assert filename == "terabox-crm-recovery-codes.txt"
    lines = unquote(text).splitlines()
    assert cast.member.email in lines[0]
    assert [line for line in lines if line in codes] == codes
    # Copy and print: buttons wired by app.js, hidden when JavaScript is off.
    assert 'data-copy="recovery-codes"' in html
    assert 'id="recovery-codes"' in html
    assert "data-print" in html
    assert EARLIER[language] not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_new_recovery_codes_say_the_earlier_ones_stopped_working(client, cast):
    enrol(cast.member)
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:mfa_recovery_codes"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert EARLIER["en"] in html
    assert DOWNLOAD.search(html) is not None


@pytest.fixture
def relaxed(cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save(update_fields=["mfa_required_for_all"])
    return cast
