"""The data dir (``CRM_DATA_DIR``, default ``./var``) and the secrets the
embedded default generates into it on first use.

Layout: ``db.sqlite3`` (embedded database), ``jobs.sqlite3`` (job queue),
``cache.sqlite3`` (the cache every process shares, without Redis),
``keys/`` (secret key, master key, audit signing key; mode 0700/0600),
``tls/`` (self-signed certificate), ``mail/`` (outgoing mail without SMTP),
``backups/``. In production the secrets come from the environment instead and
``keys/`` only holds what the operator puts there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from terabox_crm.env import env_str


def path() -> Path:
    root = Path(env_str("CRM_DATA_DIR", "var")).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def private_dir(name: str) -> Path:
    """A subdirectory only the service user can read (keys, TLS)."""
    directory = path() / name
    directory.mkdir(mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def write_private_file(target: Path, data: bytes) -> None:
    """Create ``target`` with mode 0600 atomically; never overwrite an existing key.

    The temporary file is this call's own: processes started together on a
    fresh data dir each write theirs, the first link wins, and the others
    read the key it made (a shared temporary name made the later ones fail
    with the file renamed from under them)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, target)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def generated_secret(name: str, nbytes: int = 48) -> str:
    """Return the secret stored in ``keys/<name>``, generating it on first use."""
    target = private_dir("keys") / name
    if not target.exists():
        write_private_file(target, secrets.token_urlsafe(nbytes).encode())
    return target.read_text(encoding="utf-8").strip()
