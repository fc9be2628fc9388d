"""The one place a backup archive's keys come from (S3, S11).

Both keys are derived with HKDF-SHA256 from the installation's current
master key (``crypto.keyring.kek``) and a random per-archive salt stored in
the archive's header. Neither the master key nor a derived key is written
anywhere: restoring an archive needs the master key it names (by id), which
the operator keeps outside the data dir (CRM_MASTER_KEY, a file, a KMS).
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from terabox_crm.backups.archive import ArchiveError
from terabox_crm.crypto import keyring

INFO = b"tbx/backup/v1"


def derive(kek: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """``(encryption key, MAC key)`` for one archive."""
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=INFO).derive(kek)
    return material[:32], material[32:]


def current_master_key_id() -> str:
    return keyring.kek()[0]


def new_archive_keys() -> tuple[str, bytes, bytes, bytes]:
    """``(master key id, salt, encryption key, MAC key)`` for a new archive."""
    kek_id, kek = keyring.kek()
    salt = secrets.token_bytes(32)
    enc_key, mac_key = derive(kek, salt)
    return kek_id, salt, enc_key, mac_key


def keys_for(header: dict) -> tuple[bytes, bytes]:
    """The keys of an existing archive, or ``ArchiveError("other_key")`` naming
    the master key it needs when the configured one is another."""
    kek_id, kek = keyring.kek()
    if header["kek_id"] != kek_id:
        raise ArchiveError(
            "other_key",
            f"this archive was made under master key {header['kek_id']}; "
            f"the configured master key is {kek_id}. Configure the master key "
            f"{header['kek_id']} (CRM_MASTER_KEY or CRM_MASTER_KEY_FILE) to read it",
            needs=header["kek_id"],
            configured=kek_id,
        )
    return derive(kek, bytes.fromhex(header["salt"]))
