"""Evidence rows and the security report's check registry (S8, S11)."""

from __future__ import annotations

import pytest

from terabox_crm.core import evidence

pytestmark = pytest.mark.django_db


def test_latest_returns_the_newest_of_a_kind_and_filters_by_outcome():
    evidence.record("backup.created", evidence.PASS, archive="a", bytes=10)
    evidence.record("backup.created", evidence.FAIL, error="disk full")
    evidence.record("backup.verified", evidence.PASS)

    newest = evidence.latest("backup.created")
    assert newest.outcome == evidence.FAIL
    assert newest.facts == {"error": "disk full"}
    assert evidence.latest("backup.created", outcome=evidence.PASS).facts["bytes"] == 10
    assert evidence.latest("backup.restore_drill") is None


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError):
        evidence.record("backup.created", "ok")
    with pytest.raises(ValueError):
        evidence.Finding(check="x", section="tls", status="green", title="x")


def test_a_check_that_raises_becomes_a_fail_finding_and_the_rest_still_run(monkeypatch):
    monkeypatch.setattr(evidence, "_checks", {})

    def broken():
        raise RuntimeError("source unreachable")

    def fine():
        return [
            evidence.Finding(check="tls.cert", section="tls", status=evidence.PASS, title="TLS")
        ]

    evidence.register_check("backups.age", broken)
    evidence.register_check("tls", fine)
    findings = evidence.run_checks()

    assert [(f.check, f.status) for f in findings] == [
        ("tls.cert", "pass"),
        ("backups.age.error", "fail"),
    ]
    assert findings[1].section == "backups"
    assert findings[1].data == {"error": "RuntimeError"}
