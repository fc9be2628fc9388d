"""The owners' security report page (S8, S10): owners only, in Japanese and
English, every registered check with a mark that is a symbol and a word."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terabox_crm.core import evidence
from terabox_crm.core.evidence import FAIL, PASS, WARN, Finding
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

PAGE = reverse("securityreport:report")


def test_owner_reads_the_report_in_japanese(client, cast):
    login(client, cast.owner)
    response = client.get(PAGE, secure=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    text = response.content.decode()
    assert "セキュリティレポート" in text and "2段階認証" in text and "マスターキー" in text
    # cast's owners have no second factor: a failure, marked by symbol and word
    assert 'data-check="mfa.owner" data-status="fail"' in text
    assert "✗</span> 不合格" in text and "TLS と HSTS" in text


def test_owner_reads_the_report_in_english_with_every_registered_check(client, cast, monkeypatch):
    def backups():
        return [Finding("backup.last", "backups", WARN, "Last backup", "26 hours ago", {})]

    def incidents(*, workspace_id=None):
        return [Finding("incidents.open", "incidents", PASS, "Open incidents", "None", {})]

    checks = {**evidence.registered_checks(), "backups": backups, "incidents": incidents}
    monkeypatch.setattr(evidence, "_checks", checks)
    login(client, cast.owner)
    response = client.get(PAGE, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Security report" in text and "Two-factor sign-in: Owner" in text
    assert "Backups" in text and "Last backup" in text
    # An installation-level check shows its mark, not the installation's details (S8).
    assert "26 hours ago" not in text and "whole installation" in text
    assert "Incidents" in text and "Open incidents" in text
    assert "!</span> Warning" in text and "✓</span> Pass" in text and "✗</span> Fail" in text
    assert text.index("Last backup") < text.index("Open incidents")  # section order


@pytest.mark.parametrize("role", ["admin", "manager", "member", "viewer"])
def test_everyone_but_owners_is_refused(client, cast, role):
    login(client, getattr(cast, role))
    assert client.get(PAGE, secure=True).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE, secure=True)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_links_the_report_for_owners_only(client, cast):
    login(client, cast.owner)
    assert PAGE in client.get(reverse("core:members"), secure=True).content.decode()
    client.logout()
    login(client, cast.admin)
    assert PAGE not in client.get(reverse("core:members"), secure=True).content.decode()


def test_a_report_that_fails_to_compute_a_section_still_renders(client, cast, monkeypatch):
    def broken():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(evidence, "_checks", {"backups": broken})
    login(client, cast.owner)
    response = client.get(PAGE, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-check="backups.error" data-status="fail"' in text
    assert "database is locked" not in text  # the error's text stays in the log
    assert FAIL in text
