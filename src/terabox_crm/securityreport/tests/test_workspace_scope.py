"""The owner page is one workspace's security report (S8): its members'
two-factor coverage, its tokens, its privacy requests, its incidents and
detection events; the installation's checks (TLS, keys, backups, the audit
chain) as a mark only. The CLI ``security report`` stays installation-wide."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.api.models import ApiToken
from terabox_crm.core import evidence
from terabox_crm.dsr.models import PrivacyRequest
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.securityreport import report as reports
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

PAGE = reverse("securityreport:report")


@pytest.fixture
def globex_troubles(cast):
    """Globex (another workspace) has a never-expiring token, a request past
    due and an open incident; Acme has none of them."""
    now = timezone.now()
    with scope(workspace=cast.globex):
        ApiToken.objects.create(
            workspace=cast.globex,
            user=cast.outsider,
            name="forever",
            prefix="forever",
            token_hash="f" * 64,
            expires_at=now + timedelta(days=800),
            last_used_at=now,
        )
        PrivacyRequest.objects.create(
            workspace=cast.globex,
            number=1,
            kind="access",
            email="asker@example.com",
            email_index="x" * 64,
            received_at=now - timedelta(days=40),
            due_at=now - timedelta(days=10),
        )
    open_incident(cast.globex, cast.outsider, title="Globex breach")


def _by_check(findings) -> dict:
    out: dict = {}
    for finding in findings:
        out.setdefault(finding.check, []).append(finding)
    return out


def test_a_workspace_report_counts_that_workspace_only(cast, globex_troubles):
    acme = _by_check(reports.make(workspace_id=cast.acme.pk).findings)
    assert acme["tokens.expiry"][0].status == evidence.PASS
    assert acme["tokens.expiry"][0].data == {"live": 0, "expiring_after_a_year": 0}
    assert acme["privacy.dsr_overdue"][0].data == {"open": 0, "overdue": 0}
    assert "incidents.clocks" not in acme and acme["incidents.open"][0].status == evidence.PASS
    owners = acme["mfa.owner"][0].data
    assert owners["total"] == 1  # Acme's owner, not Globex's
    # The installation's checks: a mark, no figures of any workspace.
    for check in ("keys.master", "keys.age", "audit.verified", "audit.checkpoint"):
        (finding,) = acme[check]
        assert finding.data == {"scope": "installation"}
        assert finding.detail == evidence.INSTALLATION_LEVEL

    globex = _by_check(reports.make(workspace_id=cast.globex.pk).findings)
    assert globex["tokens.expiry"][0].status == evidence.WARN
    assert globex["privacy.dsr_overdue"][0].status == evidence.FAIL
    assert [f.data["workspace"] for f in globex["incidents.clocks"]] == [str(cast.globex.pk)]


def test_the_cli_report_stays_installation_wide(cast, globex_troubles):
    everything = _by_check(reports.make().findings)
    assert everything["tokens.expiry"][0].data["live"] == 1
    assert everything["privacy.dsr_overdue"][0].data["overdue"] == 1
    assert len(everything["incidents.clocks"]) == 1
    assert everything["mfa.owner"][0].data["total"] == 2
    assert "person_keys" in everything["keys.age"][0].data


@pytest.mark.parametrize(
    ("lang", "note"), [("en", "whole installation"), ("ja", "インストール全体")]
)
def test_the_owner_page_shows_none_of_another_workspaces_figures(
    client, cast, globex_troubles, lang, note
):
    login(client, cast.owner)
    text = client.get(PAGE, secure=True, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert 'data-check="incidents.clocks"' not in text
    assert 'data-check="incidents.open" data-status="pass"' in text
    assert 'data-check="tokens.expiry" data-status="pass"' in text
    assert 'data-check="privacy.dsr_overdue" data-status="pass"' in text
    assert note in text
    client.logout()
    login(client, cast.outsider)
    text = client.get(PAGE, secure=True, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert 'data-check="incidents.clocks"' in text
    assert 'data-check="privacy.dsr_overdue" data-status="fail"' in text
