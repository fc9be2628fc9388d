"""The certificate ``serve`` speaks TLS with (S1).

Two sources, in this order:

* the operator's certificate: ``CRM_TLS_CERT`` and ``CRM_TLS_KEY`` name PEM
  files (both or neither); they are used as they are and never rewritten;
* otherwise a self-signed certificate generated on first run into
  ``<data dir>/tls/`` (EC P-256, SAN ``localhost``, ``127.0.0.1``, ``::1``,
  valid 397 days, renewed automatically 30 days before it expires). Browsers
  warn about it, which is why ``serve`` prints that production must bring its
  own certificate.

The private key is written with mode 0600 inside a 0700 directory and is never
printed or logged.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from terabox_crm import datadir
from terabox_crm.env import ConfigurationError, env_str

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
# Apple refuses TLS server certificates valid for more than 825 days and the
# CA/B Forum caps public ones at 398; a year is enough for a self-signed one.
VALIDITY = timedelta(days=397)
RENEW_BEFORE = timedelta(days=30)
SAN_DNS = ("localhost",)
SAN_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Certificate:
    """Where the certificate and key are, and whether ``serve`` made them."""

    cert_path: Path
    key_path: Path
    self_signed: bool
    not_after: datetime
    created: bool = False


def operator_paths() -> tuple[Path, Path] | None:
    """The operator's ``CRM_TLS_CERT``/``CRM_TLS_KEY``, checked; None when unset."""
    cert = env_str("CRM_TLS_CERT", "").strip()
    key = env_str("CRM_TLS_KEY", "").strip()
    if not cert and not key:
        return None
    if not (cert and key):
        raise ConfigurationError("CRM_TLS_CERT and CRM_TLS_KEY must be set together")
    paths = (Path(cert).expanduser(), Path(key).expanduser())
    for name, path in zip(("CRM_TLS_CERT", "CRM_TLS_KEY"), paths, strict=True):
        if not path.is_file():
            raise ConfigurationError(f"{name}={path} is not a readable file")
    return paths


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def ensure_certificate(*, now: datetime | None = None) -> Certificate:
    """Return the certificate to serve with, generating the self-signed one when needed."""
    now = now or datetime.now(UTC)
    operator = operator_paths()
    if operator is not None:
        cert_path, key_path = operator
        try:
            cert = load_certificate(cert_path)
        except ValueError:
            raise ConfigurationError(f"CRM_TLS_CERT={cert_path} is not a PEM certificate") from None
        return Certificate(cert_path, key_path, False, cert.not_valid_after_utc)

    directory = datadir.private_dir("tls")
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    if cert_path.exists() and key_path.exists():
        try:
            cert = load_certificate(cert_path)
        except ValueError:
            cert = None  # a damaged file is replaced like an expired one
        if cert is not None and cert.not_valid_after_utc - RENEW_BEFORE > now:
            return Certificate(cert_path, key_path, True, cert.not_valid_after_utc)
    not_after = generate_self_signed(cert_path, key_path, now=now)
    return Certificate(cert_path, key_path, True, not_after, created=True)


def generate_self_signed(cert_path: Path, key_path: Path, *, now: datetime) -> datetime:
    """Write a new EC P-256 key (0600) and a self-signed certificate for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    hostname = socket.gethostname() or "localhost"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Terabox CRM (self-signed)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        ]
    )
    sans: list[x509.GeneralName] = [x509.DNSName(dns) for dns in SAN_DNS]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SAN_IPS]
    if hostname not in SAN_DNS and _is_dns_name(hostname):
        sans.append(x509.DNSName(hostname))
    public = key.public_key()
    not_after = now + VALIDITY
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        # A little slack for clocks of clients that run behind.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # write_private_file never overwrites: remove an expired pair first.
    key_path.unlink(missing_ok=True)
    cert_path.unlink(missing_ok=True)
    datadir.write_private_file(key_path, key_pem)
    tmp = cert_path.with_suffix(".pem.tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp.chmod(0o644)
    tmp.replace(cert_path)
    return not_after


def _is_dns_name(value: str) -> bool:
    labels = value.split(".")
    return all(
        label and len(label) <= 63 and label.isascii() and label.replace("-", "").isalnum()
        for label in labels
    )


def fingerprint(cert_path: Path) -> str:
    """SHA-256 fingerprint, so a user can compare what the browser shows."""
    digest = load_certificate(cert_path).fingerprint(hashes.SHA256())
    return ":".join(f"{byte:02X}" for byte in digest)
