"""The erasure ledger kept outside the database (P8, S11; DESIGN.md §4).

An append-only file ``keys/erasure-ledger.jsonl`` in the data dir, next to
the keys, so it survives what a database restore undoes. One JSON line per
erasure, with no personal data: the workspace id, the person's pseudonymous
id, the time, the keyed hashes of their identifiers and the id of the ledger
key; each line ends with a MAC under the ledger key, so an edited line is
reported and skipped by ``reapply`` rather than trusted. Backups of the data
dir carry it like the keys.

The line is written inside the erasure's transaction, just before it
commits: if the commit then fails, the file names an erasure the database
lacks, and the next ``reapply`` completes it (an authorised erasure is
carried out rather than forgotten).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from terabox_crm import datadir
from terabox_crm.core import jsonbody
from terabox_crm.erasure import keys

FILE_NAME = "erasure-ledger.jsonl"
_lock = threading.Lock()
_override: Path | None = None


def path() -> Path:
    return _override or datadir.private_dir("keys") / FILE_NAME


def use_path(target: Path | None) -> None:
    """Point the ledger at another file (tests of a restore, a restore drill)."""
    global _override
    _override = target


def _line(entry: dict) -> str:
    body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return json.dumps({**entry, "mac": keys.mac(body)}, sort_keys=True, separators=(",", ":"))


def append(entry: dict) -> None:
    """Append one entry and make it durable (O_APPEND, fsync) before returning."""
    data = (_line({**entry, "key": keys.fingerprint()}) + "\n").encode()
    target = path()
    with _lock:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def entries() -> tuple[list[dict], list[int]]:
    """``(valid entries, numbers of the lines that failed their MAC)``."""
    target = path()
    if not target.exists():
        return [], []
    good, bad = [], []
    with open(target, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            text = text.strip()
            if not text:
                continue
            try:
                # The one JSON reader (size and depth caps): the file is ours,
                # but a line is trusted only once its MAC checks.
                entry = jsonbody.parse(text)
                tag = entry.pop("mac")
                body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
                valid = keys.fingerprint() == entry.get("key") and keys.mac(body) == tag
            except (jsonbody.BodyRefused, ValueError, KeyError, AttributeError, TypeError):
                valid = False
            if valid:
                good.append(entry)
            else:
                bad.append(number)
    return good, bad
