"""The security report's checks (S8, S10): each threshold gives its mark, the
command's exit code and JSON shape, and `audit verify` leaving the evidence
the report reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.accounts.models import TOTPDevice, User
from terabox_crm.api.models import ApiToken
from terabox_crm.core import evidence
from terabox_crm.core.evidence import FAIL, PASS, WARN, Finding
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.dsr.models import PrivacyRequest
from terabox_crm.ops import auditlog as audit_cli
from terabox_crm.ops import security_checks
from terabox_crm.ops import security_report as report_cli
from terabox_crm.securityreport import checks
from terabox_crm.securityreport import report as reports

pytestmark = pytest.mark.django_db


def by_check(findings) -> dict[str, Finding]:
    return {finding.check: finding for finding in findings}


# --- two-factor, accounts, tokens, privacy requests -------------------------------------


def test_owners_and_admins_without_two_factor_fail_until_they_enrol(cast):
    found = by_check(checks.two_factor())
    assert found["mfa.owner"].status == FAIL and found["mfa.admin"].status == FAIL
    assert found["mfa.member"].status == WARN  # members may be relaxed: a warning only
    assert found["mfa.owner"].data == {"role": "owner", "total": 2, "covered": 0, "required": True}
    for user in User.objects.all():
        TOTPDevice.objects.create(user=user, secret="00" * 20, confirmed=True)
    found = by_check(checks.two_factor())
    assert {finding.status for finding in found.values()} == {PASS}
    assert found["mfa.admin"].data["covered"] == 1


def test_accounts_silent_for_ninety_days_are_warned_about(cast):
    (only,) = checks.accounts()
    assert only.status == PASS
    User.objects.filter(pk=cast.viewer.pk).update(last_login=timezone.now() - timedelta(days=91))
    User.objects.filter(pk=cast.member.pk).update(
        last_login=None, date_joined=timezone.now() - timedelta(days=120)
    )
    (only,) = checks.accounts()
    assert only.status == WARN and only.data == {"inactive_90_days": 2}
    assert "2 件のアカウント" in str(only.detail)  # the default language is Japanese


def _token(cast, name, *, expires_in, last_used=None, created_ago=None):
    with scope(workspace=cast.acme):
        token = ApiToken.objects.create(
            workspace=cast.acme,
            user=cast.admin,
            name=name,
            prefix=name[:12],
            token_hash=name.ljust(64, "0"),
            expires_at=timezone.now() + expires_in,
            last_used_at=last_used,
        )
    if created_ago:
        with scopes_disabled():
            ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - created_ago)


def test_long_lived_and_unused_tokens_are_warned_about(cast):
    _token(cast, "fresh", expires_in=timedelta(days=30), last_used=timezone.now())
    _token(cast, "revoked-old", expires_in=timedelta(days=800), created_ago=timedelta(days=200))
    with scopes_disabled():
        ApiToken.objects.filter(name="revoked-old").update(revoked_at=timezone.now())
    found = by_check(checks.tokens())
    assert found["tokens.expiry"].status == PASS and found["tokens.unused"].status == PASS
    _token(cast, "forever", expires_in=timedelta(days=800), last_used=timezone.now())
    _token(cast, "idle", expires_in=timedelta(days=60), created_ago=timedelta(days=100))
    found = by_check(checks.tokens())
    assert found["tokens.expiry"].status == WARN
    assert found["tokens.expiry"].data == {"live": 3, "expiring_after_a_year": 1}
    assert found["tokens.unused"].status == WARN
    assert found["tokens.unused"].data == {"unused_90_days": 1}


def test_a_privacy_request_past_due_fails(cast):
    (only,) = checks.privacy_requests()
    assert only.status == PASS
    now = timezone.now()
    with scope(workspace=cast.acme):
        PrivacyRequest.objects.create(
            workspace=cast.acme,
            number=1,
            kind="access",
            email="asker@example.com",
            email_index="x" * 64,
            received_at=now - timedelta(days=40),
            due_at=now - timedelta(days=10),
        )
    (only,) = checks.privacy_requests()
    assert only.status == FAIL and only.data == {"open": 1, "overdue": 1}


# --- keys ----------------------------------------------------------------------------------


def test_keys_warn_about_the_embedded_master_key_and_year_old_data_keys(cast, settings):
    key = keyring.active_key(keyring.SYSTEM_SCOPE)
    found = by_check(checks.keys())
    assert found["keys.master"].status == WARN  # generated into the data dir (a trial)
    assert found["keys.master"].data["kek_id"] == keyring.configured()[0]
    assert found["keys.age"].status == PASS
    DataKey.objects.filter(key_id=key.key_id).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    found = by_check(checks.keys())
    assert found["keys.age"].status == WARN
    assert found["keys.age"].data["older_than_a_year"] == 1
    assert found["keys.age"].data["oldest_days"] == 400
    settings.PRODUCTION = True
    assert by_check(checks.keys())["keys.master"].status == FAIL


def test_keys_under_a_master_key_not_held_fail(cast):
    DataKey.objects.create(
        key_id="f0reign0000000cc",
        scope="elsewhere",
        purpose=DataKey.Purpose.ENCRYPTION,
        wrapped=b"\x00" * 40,
        kek_id="0123456789abcdef",
    )
    found = by_check(checks.keys())
    assert found["keys.unreadable"].status == FAIL
    assert found["keys.unreadable"].data == {"count": 1}


# --- TLS and HSTS ------------------------------------------------------------------------------


def _certificate(tmp_path, *, days: int, self_signed: bool):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crm.example.com")])
    issuer = (
        subject
        if self_signed
        else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example CA")])
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"cert{days}.pem", tmp_path / f"key{days}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(
    ("days", "self_signed", "status"),
    [(200, False, PASS), (10, False, WARN), (-1, False, FAIL), (200, True, WARN)],
)
def test_certificate_expiry_and_issuer(tmp_path, monkeypatch, days, self_signed, status):
    cert_path, key_path = _certificate(tmp_path, days=days, self_signed=self_signed)
    monkeypatch.setenv("CRM_TLS_CERT", str(cert_path))
    monkeypatch.setenv("CRM_TLS_KEY", str(key_path))
    (finding,) = security_checks.certificate()
    assert finding.status == status
    assert finding.data["self_signed"] is self_signed
    assert finding.data["days_left"] in (days - 1, days)  # whole days, rounded down


def test_hsts_setting(settings):
    assert security_checks.hsts()[0].status == PASS
    settings.SECURE_HSTS_SECONDS = 3600
    assert security_checks.hsts()[0].status == WARN
    settings.SECURE_HSTS_SECONDS = 0
    assert security_checks.hsts()[0].status == FAIL


# --- the audit chain ---------------------------------------------------------------------------


def _some_events(cast, n=3):
    from terabox_crm import audit

    for _ in range(n):
        audit.record("ops.demo.seeded", workspace=cast.acme)


def test_audit_verify_records_the_evidence_the_report_reads(cast, capsys):
    _some_events(cast)
    found = by_check(checks.audit_chain())
    assert found["audit.verified"].status == WARN  # never verified
    assert audit_cli.main(["verify"]) == 0
    proof = evidence.latest("audit.verified")
    assert proof.outcome == PASS and proof.facts["broken"] == 0 and proof.facts["events"] > 0
    found = by_check(checks.audit_chain())
    assert found["audit.verified"].status == PASS
    assert found["audit.verified"].data["events"] == proof.facts["events"]
    evidence.record("audit.verified", FAIL, chains=1, events=3, broken=1)
    assert by_check(checks.audit_chain())["audit.verified"].status == FAIL


def test_an_old_verification_and_a_stalled_checkpoint_warn(cast):
    from terabox_crm.core.models import Evidence

    _some_events(cast)
    row = evidence.record("audit.verified", PASS, chains=1, events=1, broken=0)
    Evidence.objects.filter(pk=row.pk).update(at=timezone.now() - timedelta(days=8))
    found = by_check(checks.audit_chain())
    assert found["audit.verified"].status == WARN
    # cast's events are not covered by any checkpoint yet, and none was ever signed:
    # the finding says so, not that the last one is old
    assert found["audit.checkpoint"].status == WARN
    assert found["audit.checkpoint"].data["uncovered_events"] > 0
    assert "まだ一度も署名されていません" in found["audit.checkpoint"].detail


# --- the report: registry, exit codes, JSON ------------------------------------------------


def test_the_report_shows_every_registered_check_and_a_broken_one_as_a_failure(monkeypatch):
    def backups():
        return [Finding("backup.last", "backups", PASS, "Last backup", "2 h ago", {"age": 7200})]

    def broken():
        raise RuntimeError("no such table")

    monkeypatch.setattr(evidence, "_checks", {"backups": backups, "incidents": broken})
    made = reports.make()
    assert [f.check for f in made.findings] == ["backup.last", "incidents.error"]
    assert made.findings[1].status == FAIL and made.exit_code == 1
    assert [s["name"] for s in made.sections()] == ["backups", "incidents"]


@pytest.mark.parametrize(
    ("statuses", "code"), [((PASS, PASS), 0), ((PASS, WARN), 2), ((WARN, FAIL), 1)]
)
def test_exit_code_and_json_shape(monkeypatch, capsys, statuses, code):
    def fake():
        return [
            Finding(f"fake.{n}", "keys", status, f"title {n}", "detail", {"n": n})
            for n, status in enumerate(statuses)
        ]

    monkeypatch.setattr(evidence, "_checks", {"fake": fake})
    assert report_cli.main(["report", "--json"]) == code
    body = json.loads(capsys.readouterr().out)
    assert set(body) == {"made_at", "overall", "counts", "findings"}
    assert body["overall"] == {0: PASS, 1: FAIL, 2: WARN}[code]
    assert sum(body["counts"].values()) == len(statuses)
    for n, item in enumerate(body["findings"]):
        assert set(item) == {"check", "section", "status", "title", "detail", "data"}
        assert item["data"] == {"n": n} and item["status"] == statuses[n]


def test_the_command_prints_every_section_in_english_and_japanese(cast, capsys):
    code = report_cli.main(["report"])
    out = capsys.readouterr().out
    assert code in (1, 2)  # cast's owners have no second factor: a failure
    assert "[FAIL] Two-factor sign-in: Owner" in out and "Keys" in out and "[PASS]" in out
    report_cli.main(["report", "--lang", "ja"])
    out = capsys.readouterr().out
    assert "2段階認証" in out and "マスターキー" in out and "監査ログ" in out
