"""Ed25519 keys that sign audit checkpoints (S5).

Where the private key comes from, first found wins:

1. ``CRM_AUDIT_SIGNING_KEY`` — or the file named by
   ``CRM_AUDIT_SIGNING_KEY_FILE`` — holding either a PEM PKCS#8 Ed25519
   private key (``-----BEGIN PRIVATE KEY-----``, as written by
   ``openssl genpkey -algorithm ed25519``) or the raw 32-byte private key
   (seed), base64-encoded.
2. The embedded default only (``settings.PRODUCTION`` false):
   ``<data dir>/keys/audit_signing.pem``, generated on first use (mode 0600).

Production without a key refuses to start signing (``ConfigurationError``).

Trust: a key id is the first 16 hex digits of SHA-256 over the raw public key.
The key in use now is trusted because the server holds it. Its
``SigningKey`` row names every older key it vouches for, signed by itself,
so checkpoints signed before a rotation still verify, while a public key
slipped into the table by someone without the private key stays unknown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from terabox_crm import datadir
from terabox_crm.audit.hashing import canonical_json, iso
from terabox_crm.env import ConfigurationError, env_secret

ENV_NAME = "CRM_AUDIT_SIGNING_KEY"
GENERATED_FILE = "audit_signing.pem"
CHECKPOINT_DOMAIN = b"tbx/audit/checkpoint/v1\x00"
KEY_DOMAIN = b"tbx/audit/signing-key/v1\x00"


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(b"tbx-audit-signing-key" + public_raw).hexdigest()[:16]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Signer:
    key_id: str
    private_key: Ed25519PrivateKey
    public_raw: bytes

    @property
    def public_b64(self) -> str:
        return b64(self.public_raw)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, message: bytes) -> str:
        return b64(self.private_key.sign(message))


_lock = threading.Lock()
_signer: Signer | None = None


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A PEM PKCS#8 Ed25519 key, or base64 of the raw 32-byte private key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{ENV_NAME} is not a readable unencrypted PEM private key: {exc}"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{ENV_NAME} must be an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise ConfigurationError(
            f"{ENV_NAME} must be a PEM Ed25519 private key or 32 bytes, base64-encoded"
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_private_key() -> Ed25519PrivateKey:
    text = env_secret(ENV_NAME)
    if text:
        return parse_private_key(text)
    if settings.PRODUCTION:
        raise ConfigurationError(
            f"CRM_ENV=production requires {ENV_NAME} (or {ENV_NAME}_FILE): "
            "the Ed25519 key that signs audit checkpoints"
        )
    target = datadir.private_dir("keys") / GENERATED_FILE
    if not target.exists():
        datadir.write_private_file(target, _pem(Ed25519PrivateKey.generate()))
    return parse_private_key(target.read_text(encoding="utf-8"))


def signing_key_is_generated() -> bool:
    """True when the signing key lives in the data dir (a demo, not production)."""
    return not env_secret(ENV_NAME)


def current() -> Signer:
    """The key that signs new checkpoints (read once per process)."""
    global _signer
    if _signer is None:
        with _lock:
            if _signer is None:
                private_key = _load_private_key()
                public_raw = private_key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
                _signer = Signer(key_id_of(public_raw), private_key, public_raw)
    return _signer


def check() -> list[str]:
    """Problems that would stop checkpoints from being signed (start-up, /readyz).

    Every 1,000th event signs a checkpoint inside the transaction of the change
    it records, so a missing key must be found at start-up, not by that user.
    """
    try:
        current()
    except ConfigurationError as exc:
        return [str(exc)]
    return []


def reset_cache() -> None:
    """Forget the loaded key (tests; after the operator changes the key)."""
    global _signer
    with _lock:
        _signer = None


def checkpoint_message(*, chain: str, seq: int, hash: str, created_at, key_id: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return CHECKPOINT_DOMAIN + canonical_json(
        {"chain": chain, "seq": seq, "hash": hash, "time": iso(created_at), "key_id": key_id}
    )


def _endorsement_message(key_id: str, public_key: str, predecessors: list) -> bytes:
    return KEY_DOMAIN + canonical_json(
        {"key_id": key_id, "public_key": public_key, "predecessors": predecessors}
    )


def register_current():
    """Store the current key's row, vouching for every key stored before it.

    Idempotent; runs inside the caller's transaction. Rotating the key means
    configuring a new one: at its first checkpoint it is registered and vouches
    for the keys then present — so run ``terabox-crm audit verify`` before a
    rotation, while the old key is still the trusted one.
    """
    from terabox_crm.audit.models import SigningKey

    signer = current()
    row = SigningKey.objects.filter(key_id=signer.key_id).first()
    if row is not None:
        return row
    predecessors = [
        {"key_id": key_id, "public_key": public_key}
        for key_id, public_key in SigningKey.objects.order_by("created_at", "key_id").values_list(
            "key_id", "public_key"
        )
    ]
    row = SigningKey(
        key_id=signer.key_id,
        public_key=signer.public_b64,
        created_at=timezone.now(),
        predecessors=predecessors,
        endorsement=signer.sign(
            _endorsement_message(signer.key_id, signer.public_b64, predecessors)
        ),
    )
    # Two processes may register the same key at once; the first row wins.
    SigningKey.objects.bulk_create([row], ignore_conflicts=True)
    return SigningKey.objects.get(key_id=signer.key_id)


def _public_key(public_b64: str) -> tuple[str, Ed25519PublicKey] | None:
    try:
        raw = base64.b64decode(public_b64, validate=True)
        return key_id_of(raw), Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        return None


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Key id → public key for every key whose checkpoints are to be believed."""
    from terabox_crm.audit.models import SigningKey

    signer = current()
    trusted = {signer.key_id: signer.public_key}
    row = SigningKey.objects.filter(key_id=signer.key_id).first()
    if row is None or row.public_key != signer.public_b64:
        return trusted
    try:
        signer.public_key.verify(
            base64.b64decode(row.endorsement),
            _endorsement_message(row.key_id, row.public_key, row.predecessors),
        )
    except (InvalidSignature, ValueError, binascii.Error):
        return trusted  # the row was tampered with: vouch for nothing
    for entry in row.predecessors:
        loaded = _public_key(entry.get("public_key", ""))
        # An entry whose id does not match its own public key is ignored.
        if loaded is not None and loaded[0] == entry.get("key_id"):
            trusted[loaded[0]] = loaded[1]
    return trusted


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
