"""The self-signed certificate of the embedded default, and operator certificates (S1)."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from terabox_crm.env import ConfigurationError
from terabox_crm.ops import tls


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CRM_TLS_CERT", raising=False)
    monkeypatch.delenv("CRM_TLS_KEY", raising=False)
    return tmp_path


def test_first_run_generates_a_self_signed_certificate_in_the_data_dir(data_dir):
    made = tls.ensure_certificate()
    assert made.created and made.self_signed
    assert made.cert_path == data_dir / "tls" / "cert.pem"
    assert made.key_path == data_dir / "tls" / "key.pem"


def test_certificate_names_localhost_and_both_loopback_addresses(data_dir):
    cert = tls.load_certificate(tls.ensure_certificate().cert_path)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    addresses = sans.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in addresses
    assert ipaddress.ip_address("::1") in addresses


def test_certificate_is_ec_p256_for_server_auth_and_not_a_ca(data_dir):
    cert = tls.load_certificate(tls.ensure_certificate().cert_path)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usage


def test_certificate_is_valid_now_and_for_at_most_825_days(data_dir):
    cert = tls.load_certificate(tls.ensure_certificate().cert_path)
    now = datetime.now(UTC)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=825)


def test_private_key_is_readable_by_the_owner_only(data_dir):
    made = tls.ensure_certificate()
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.key_path.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in made.key_path.read_bytes()


def test_second_run_reuses_the_certificate(data_dir):
    first = tls.ensure_certificate()
    second = tls.ensure_certificate()
    assert not second.created
    assert first.cert_path.read_bytes() == second.cert_path.read_bytes()


def test_certificate_close_to_expiry_is_renewed(data_dir):
    first = tls.ensure_certificate()
    old = first.cert_path.read_bytes()
    later = datetime.now(UTC) + tls.VALIDITY - timedelta(days=10)
    renewed = tls.ensure_certificate(now=later)
    assert renewed.created
    assert renewed.cert_path.read_bytes() != old
    assert stat.S_IMODE(renewed.key_path.stat().st_mode) == 0o600


def test_damaged_certificate_is_replaced(data_dir):
    made = tls.ensure_certificate()
    made.cert_path.write_text("not a certificate")
    again = tls.ensure_certificate()
    assert again.created
    tls.load_certificate(again.cert_path)


def test_operator_certificate_is_used_as_it_is(data_dir, tmp_path, monkeypatch):
    own = tmp_path / "own"
    own.mkdir()
    tls.generate_self_signed(own / "c.pem", own / "k.pem", now=datetime.now(UTC))
    before = (own / "c.pem").read_bytes()
    monkeypatch.setenv("CRM_TLS_CERT", str(own / "c.pem"))
    monkeypatch.setenv("CRM_TLS_KEY", str(own / "k.pem"))
    chosen = tls.ensure_certificate()
    assert not chosen.self_signed and not chosen.created
    assert chosen.cert_path == own / "c.pem"
    assert (own / "c.pem").read_bytes() == before
    assert not (data_dir / "tls" / "cert.pem").exists()


def test_operator_certificate_needs_both_paths(data_dir, monkeypatch):
    monkeypatch.setenv("CRM_TLS_CERT", "/etc/ssl/crm.pem")
    with pytest.raises(ConfigurationError, match="CRM_TLS_CERT and CRM_TLS_KEY"):
        tls.ensure_certificate()


def test_operator_certificate_must_exist(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_TLS_CERT", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("CRM_TLS_KEY", str(tmp_path / "missing.key"))
    with pytest.raises(ConfigurationError, match=r"CRM_TLS_CERT=.*missing\.pem"):
        tls.ensure_certificate()


def test_fingerprint_is_sha256_hex_pairs(data_dir):
    printed = tls.fingerprint(tls.ensure_certificate().cert_path)
    assert len(printed.split(":")) == 32
