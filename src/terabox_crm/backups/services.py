"""Backups: create, list, verify, restore, prune and the restore drill (S11).

docs/operations.md "Backups and restore" is the operator's side of this
module. What an archive holds:

* the database: a consistent online snapshot (``snapshot.py``);
* from the data dir's ``keys/``: the erasure-ledger key (wrapped under the
  master key) and the erasure ledger, so erasures made after a backup can be
  re-applied after restoring it (P8, DESIGN.md "erasure that survives a
  restore"), and the generated audit signing key when the installation uses
  one (the embedded default; production passes ``CRM_AUDIT_SIGNING_KEY``),
  so the restored chains' signed checkpoints still verify.

Never in an archive: the master key (``keys/master.key`` or the
environment), the generated Django secret key (a restored installation signs
everyone out, nothing else), TLS files (regenerated), the job queue, the
cache, kept mail and sealed access exports (transient).

A restore writes those key files only where the data dir lacks them — the
data dir's own are newer — except the erasure ledger, which is merged: the
lines of both, so every erasure known to either is re-applied.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess  # nosec B404  # the restore drill runs this program, fixed arguments, no shell
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from terabox_crm import audit, datadir
from terabox_crm.backups import keys, snapshot
from terabox_crm.backups.archive import SUFFIX, ArchiveError, ArchiveReader, ArchiveWriter
from terabox_crm.core import evidence, jsonbody
from terabox_crm.crypto import keyring
from terabox_crm.erasure import keys as erasure_keys
from terabox_crm.erasure import ledger, reapply

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
NAME = re.compile(r"^tbx-(\d{8}T\d{6}Z)-[0-9a-f]+\.tbxbak$")
STATE_SUFFIX = ".state.json"
LEDGER_ENTRY = "keys/erasure-ledger.jsonl"
LEDGER_KEY_ENTRY = "keys/erasure-ledger.key"
SIGNING_KEY_ENTRY = "keys/audit_signing.pem"


class BackupError(RuntimeError):
    """A backup operation that could not be done; the message says why and what to do."""


class NoArchive(BackupError):
    """The archive named does not exist (a usage error)."""


class RestoreRefused(BackupError):
    """A restore that would overwrite data (or the wrong engine): nothing was changed."""


# --- Where ------------------------------------------------------------------------


def backup_dir(override: str | os.PathLike | None = None) -> Path:
    """``--dir``, else ``CRM_BACKUP_DIR``, else ``<data dir>/backups`` (mode 0700)."""
    directory = Path(override or settings.BACKUP_DIR).expanduser().resolve()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _key_files() -> dict[str, Path]:
    """The archive's name for each data-dir file it carries, and where it is."""
    keys_dir = datadir.path() / "keys"
    return {
        LEDGER_KEY_ENTRY: erasure_keys.key_path(),
        LEDGER_ENTRY: ledger.path(),
        SIGNING_KEY_ENTRY: keys_dir / "audit_signing.pem",
    }


def _app_version() -> str:
    try:
        return metadata.version("terabox-crm")
    except metadata.PackageNotFoundError:
        return "unknown"


def _migration_state() -> dict[str, str]:
    """The newest applied migration of each app (what the restored schema will be)."""
    latest: dict[str, str] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        latest[app] = max(latest.get(app, ""), name)
    return latest


class _CountedReader:
    """A binary file read with ``readinto`` that reports how far it has been read."""

    def __init__(self, handle, progress: Progress | None, total: int) -> None:
        self.handle, self.progress, self.total, self.done = handle, progress, total, 0

    def readinto(self, buffer) -> int:
        got = self.handle.readinto(buffer) or 0
        self.done += got
        if self.progress:
            self.progress(self.done, max(self.total, self.done))
        return got


def _counted(chunks: Iterable[bytes], progress: Progress | None, total: int) -> Iterator[bytes]:
    done = 0
    for piece in chunks:
        done += len(piece)
        if progress:
            progress(done, max(total, done))
        yield piece
    if progress:  # the total was an estimate (pg_database_size): end at 100 %
        progress(done, done)


def _record(kind: str, outcome: str, **facts) -> None:
    """Evidence, when the database can take it (a fresh, unmigrated one cannot)."""
    try:
        evidence.record(kind, outcome, **facts)
    except DatabaseError:
        log.warning("backups: could not record evidence %s (%s)", kind, outcome)


def _audit(action: str, **payload) -> None:
    """An installation-wide audit event on the system chain, channel cli or job."""
    try:
        audit.record(
            action,
            object_type="backups.archive",
            object_id=payload.get("archive", ""),
            payload=payload,
        )
    except DatabaseError:
        log.warning("backups: could not record the audit event %s", action)


def _rejected(path: Path, operation: str, exc: ArchiveError) -> None:
    """An archive failed its check: a security event, evidence and its state file
    (once, when a restore's own verify already said so)."""
    if getattr(exc, "recorded", False):
        return
    exc.recorded = True
    _write_state(path, "corrupt", reason=exc.reason)
    _audit(
        "security.backup.rejected",
        archive=path.name,
        operation=operation,
        reason=exc.reason,
        **{k: v for k, v in exc.facts.items() if isinstance(v, (str, int))},
    )
    _record(
        "backup.verified", evidence.FAIL, archive=path.name, reason=exc.reason, operation=operation
    )


# --- Create -----------------------------------------------------------------------


@dataclass
class Created:
    path: Path
    manifest: dict
    seconds: float


def _open_private(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def create(
    *,
    directory: str | os.PathLike | None = None,
    progress: Progress | None = None,
    trigger: str = "cli",
) -> Created:
    """Take a consistent snapshot and write it encrypted as a new archive."""
    started = time.monotonic()
    target_dir = backup_dir(directory)
    now = timezone.now()
    name = f"tbx-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}{SUFFIX}"
    final = target_dir / name
    partial = target_dir / f".{name}.partial"
    engine = snapshot.engine()
    manifest = {
        "created_at": now.isoformat(),
        "engine": engine,
        "app_version": _app_version(),
        "migrations": _migration_state(),
        "trigger": trigger,
    }
    scratch = target_dir / f".snapshot-{secrets.token_hex(6)}.sqlite3"
    try:
        with _open_private(partial) as out:
            writer = ArchiveWriter(
                out,
                keys=keys.new_archive_keys(),
                header={"created_at": manifest["created_at"], "engine": engine},
            )
            if engine == "sqlite":
                snapshot.sqlite_snapshot(scratch)
                with open(scratch, "rb") as copy:
                    total = os.fstat(copy.fileno()).st_size
                    writer.add_file(snapshot.database_file(), _CountedReader(copy, progress, total))
            else:
                writer.add_file(
                    snapshot.database_file(),
                    _counted(snapshot.pg_dump(), progress, snapshot.pg_size()),
                )
            for entry, path in _key_files().items():
                if path.exists():
                    with open(path, "rb") as handle:
                        writer.add_file(entry, handle)
            full = writer.finish(manifest)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        _record("backup.created", evidence.FAIL, error=type(exc).__name__, trigger=trigger)
        if isinstance(exc, snapshot.SnapshotError | OSError):
            raise BackupError(f"the backup was not written: {exc}") from exc
        raise
    finally:
        scratch.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    facts = {
        "archive": name,
        "size": full["ciphertext_size"],
        "database_size": full["files"][0]["size"],
        "engine": engine,
        "master_key_id": full["master_key_id"],
        "seconds": round(seconds, 3),
        "trigger": trigger,
    }
    _record("backup.created", evidence.PASS, **facts)
    _audit("backup.created", **{**facts, "sha256": full["ciphertext_sha256"]})
    return Created(final, full, seconds)


# --- List -------------------------------------------------------------------------


@dataclass
class ArchiveInfo:
    path: Path
    size: int
    created_at: datetime | None
    state: str  # verified, unverified, corrupt
    manifest: dict | None = None
    checked_at: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def age_seconds(self) -> float | None:
        return evidence.age(self.created_at)


def _state_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{STATE_SUFFIX}")


def _write_state(path: Path, state: str, **facts) -> None:
    """Remember a verify's outcome beside the archive (size and mtime pin it to this file)."""
    try:
        stat = path.stat()
        record = {
            "state": state,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "at": timezone.now().isoformat(),
            **facts,
        }
        target = _state_path(path)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        log.warning("backups: could not write the state of %s", path.name)


def _read_state(path: Path) -> dict:
    try:
        record = jsonbody.parse(_state_path(path).read_bytes(), limit=64 << 10)
        stat = path.stat()
        if record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
            return record
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def _created_at(path: Path, manifest: dict | None) -> datetime | None:
    match = NAME.match(path.name)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if manifest and isinstance(manifest.get("created_at"), str):
        try:
            return datetime.fromisoformat(manifest["created_at"])
        except ValueError:
            pass
    return None


def list_archives(directory: str | os.PathLike | None = None) -> list[ArchiveInfo]:
    """Every archive in the backup dir, newest first, with its state."""
    from terabox_crm.backups.archive import read_trailer

    found = []
    for path in backup_dir(directory).glob(f"*{SUFFIX}"):
        if not path.is_file():
            continue
        manifest = read_trailer(path)
        state = _read_state(path)
        status = "corrupt" if manifest is None else state.get("state", "unverified")
        found.append(
            ArchiveInfo(
                path=path,
                size=path.stat().st_size,
                created_at=_created_at(path, manifest),
                state=status,
                manifest=manifest,
                checked_at=state.get("at", ""),
            )
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda info: (info.created_at or epoch, info.name), reverse=True)
    return found


def resolve(archive: str, directory: str | os.PathLike | None = None) -> Path:
    """An archive path, or a name inside the backup dir."""
    path = Path(archive).expanduser()
    if not path.exists() and not path.is_absolute():
        candidate = backup_dir(directory) / archive
        if candidate.exists():
            path = candidate
    if not path.is_file():
        raise NoArchive(f"no archive {archive!r}")
    return path.resolve()


# --- Verify -----------------------------------------------------------------------


class _CountingFile:
    """A read-only file that reports how far it has been read."""

    def __init__(self, handle, progress: Progress | None, total: int) -> None:
        self.handle, self.progress, self.total, self.done = handle, progress, total, 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.done += len(data)
        if self.progress and data:
            self.progress(self.done, self.total)
        return data


@dataclass
class Verified:
    path: Path
    manifest: dict
    check: str  # "integrity_check ok" or "pg_restore --list: N entries"
    seconds: float


def _consume(chunks: Iterable[bytes]) -> None:
    for _piece in chunks:
        pass


def verify(path: Path, *, progress: Progress | None = None, operation: str = "verify") -> Verified:
    """Decrypt and check an archive without restoring it (nothing is changed).

    SQLite: the database is decrypted into a private temporary file beside the
    archive and ``PRAGMA integrity_check`` runs on it. PostgreSQL: the dump is
    streamed into ``pg_restore --list``. Raises ``ArchiveError`` (tampered,
    truncated, other key, corrupt).
    """
    started = time.monotonic()
    total = path.stat().st_size
    try:
        # Scratch space in the backup dir (a private disk sized for archives), not
        # /tmp, and not beside the archive, which may be on read-only storage.
        with (
            open(path, "rb") as raw,
            tempfile.TemporaryDirectory(dir=backup_dir(), prefix=".verify-") as scratch,
        ):
            reader = ArchiveReader(_CountingFile(raw, progress, total), keys.keys_for)
            check = ""
            database = Path(scratch) / "database.sqlite3"
            for name, data in reader.entries():
                if name == "database.sqlite3":
                    with _open_private(database) as out:
                        for piece in data:
                            out.write(piece)
                elif name == "database.pgdump":
                    try:
                        check = f"pg_restore --list: {snapshot.pg_list(data)} entries"
                    except snapshot.SnapshotError as exc:
                        raise ArchiveError(
                            "corrupt", f"the dump does not read back: {exc}"
                        ) from exc
                else:
                    _consume(data)
            if reader.header.get("engine") == "sqlite":
                result = snapshot.sqlite_check(database)
                if result != "ok":
                    raise ArchiveError(
                        "corrupt", f"the database fails its integrity check: {result}"
                    )
                check = "integrity_check ok"
            if not check:
                raise ArchiveError("corrupt", "the archive holds no database")
            manifest = reader.manifest
    except ArchiveError as exc:
        _rejected(path, operation, exc)
        raise
    seconds = time.monotonic() - started
    _write_state(path, "verified", check=check)
    _record(
        "backup.verified",
        evidence.PASS,
        archive=path.name,
        created_at=manifest.get("created_at"),
        engine=manifest.get("engine"),
        seconds=round(seconds, 3),
        operation=operation,
    )
    return Verified(path, manifest, check, seconds)


# --- Restore ----------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict
    seconds: float
    key_files: dict[str, str] = field(default_factory=dict)  # entry → restored/kept/merged
    reapplied: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    chains: list = field(default_factory=list)
    bad_ledger_lines: list[int] = field(default_factory=list)

    @property
    def chains_intact(self) -> bool:
        return all(chain.ok for chain in self.chains)


def _refuse_if_not_empty(path: Path, force: bool) -> dict:
    contents = snapshot.database_contents()
    if not snapshot.is_empty(contents) and not force:
        _audit(
            "security.backup.restore_refused",
            archive=path.name,
            workspaces=contents["workspaces"],
            users=contents["users"],
        )
        raise RestoreRefused(
            f"the database is not empty ({contents['workspaces']} workspace(s), "
            f"{contents['users']} user(s)); nothing was changed. Restore into an empty "
            "data dir or database, or pass --force to replace what it holds"
        )
    return contents


def _merge_key_files(found: dict[str, bytes]) -> dict[str, str]:
    """Write the archive's key files the data dir lacks; merge the erasure ledger."""
    done: dict[str, str] = {}
    for entry, path in _key_files().items():
        if entry not in found:
            continue
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if entry == LEDGER_ENTRY and path.exists():
            have = set(path.read_bytes().splitlines())
            extra = [
                line for line in found[entry].splitlines() if line.strip() and line not in have
            ]
            if extra:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
                try:
                    os.write(fd, b"\n".join(extra) + b"\n")
                    os.fsync(fd)
                finally:
                    os.close(fd)
            done[entry] = f"merged ({len(extra)} line(s) added)"
        elif path.exists():
            done[entry] = "kept the data dir's own"
        else:
            datadir.write_private_file(path, found[entry])
            done[entry] = "restored"
    return done


def _restore_sqlite(reader: ArchiveReader, progress_done: Callable[[], None]) -> dict[str, bytes]:
    target = snapshot.sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".restore-{secrets.token_hex(6)}.sqlite3")
    found: dict[str, bytes] = {}
    try:
        for name, data in reader.entries():
            if name == "database.sqlite3":
                with _open_private(incoming) as out:
                    for piece in data:
                        out.write(piece)
            elif name.startswith("keys/"):
                found[name] = b"".join(data)
            else:
                _consume(data)
        # Authenticated to the last byte: only now does anything change. The
        # bytes are the snapshot's own (every chunk's tag, the file's SHA-256 in
        # the MACed manifest), so the page-structure check suffices here; the
        # full integrity_check (index contents too) is ``backup verify``'s.
        result = snapshot.sqlite_check(incoming, quick=True)
        if result != "ok":
            raise ArchiveError("corrupt", f"the database fails its integrity check: {result}")
        connection.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    progress_done()
    return found


def _restore_postgresql(path: Path, reader: ArchiveReader, clear: bool) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if clear:
        snapshot.pg_clear()
    connection.close()
    for name, data in reader.entries():
        if name == "database.pgdump":
            snapshot.pg_restore(data)
        elif name.startswith("keys/"):
            found[name] = b"".join(data)
        else:
            _consume(data)
    return found


def restore(archive: Path, *, force: bool = False, progress: Progress | None = None) -> Restored:
    """Restore an archive into the configured (empty) database and data dir.

    Refuses a database that holds a workspace or a user unless ``force``
    (``RestoreRefused``: nothing changed, a security event). The archive is
    authenticated to its last byte before anything is replaced. Then the
    schema is migrated forward, the erasure ledger re-applied (people erased
    after the backup stay erased) and every audit chain verified.
    """
    started = time.monotonic()
    contents = _refuse_if_not_empty(archive, force)
    engine = snapshot.engine()
    total = archive.stat().st_size
    try:
        with open(archive, "rb") as raw:
            header_reader = ArchiveReader(raw, keys.keys_for)
            archive_engine = header_reader.header.get("engine")
        if archive_engine != engine:
            raise RestoreRefused(
                f"this archive holds a {archive_engine} database; the configured database is "
                f"{engine}. Nothing was changed"
            )
        if engine == "sqlite":
            with open(archive, "rb") as raw:
                reader = ArchiveReader(_CountingFile(raw, progress, total), keys.keys_for)
                found = _restore_sqlite(reader, lambda: None)
        else:
            # Pass one proves the whole archive (pg_restore would commit on
            # reading the dump's end); pass two loads it.
            verify(archive, progress=progress, operation="restore")
            with open(archive, "rb") as raw:
                reader = ArchiveReader(raw, keys.keys_for)
                # A schema with tables (migrated but empty, or --force) is cleared first.
                found = _restore_postgresql(archive, reader, clear=contents["tables"] > 0)
        manifest = reader.manifest
    except ArchiveError as exc:
        _rejected(archive, "restore", exc)
        raise
    key_files = _merge_key_files(found)
    keyring.reset_cache()
    call_command("migrate", interactive=False, verbosity=0)
    report = reapply.reapply()
    seconds = time.monotonic() - started
    result = Restored(
        manifest=manifest,
        seconds=seconds,
        key_files=key_files,
        reapplied=report.reapplied,
        matched=report.matched,
        chains=report.chains,
        bad_ledger_lines=report.bad_lines,
    )
    facts = {
        "archive": archive.name,
        "created_at": manifest.get("created_at"),
        "engine": engine,
        "reapplied": len(report.reapplied),
        "matched": len(report.matched),
        "chains_intact": result.chains_intact,
        "forced": bool(force),
        "seconds": round(seconds, 3),
    }
    _audit("backup.restored", **facts)
    _record("backup.restored", evidence.PASS if report.ok else evidence.FAIL, **facts)
    return result


# --- The restore drill ------------------------------------------------------------


@dataclass
class Drill:
    archive: str
    passed: bool
    seconds: float
    restore_output: str
    verify_output: str


def _drill_database_url(name: str) -> str:
    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    completed = subprocess.run(  # noqa: S603  # nosec B603  # this program, fixed arguments, no shell
        argv, env=env, capture_output=True, text=True, timeout=6 * 3600, check=False
    )
    return completed.returncode, (completed.stdout + completed.stderr).strip()


def drill(archive: Path) -> Drill:
    """Restore ``archive`` into a throw-away data dir (and, on PostgreSQL, a
    throw-away database), with the live erasure ledger; then ``audit verify``
    there. Nothing of the live installation changes but its evidence
    (``backup.restore_drill``) and audit trail."""
    started = time.monotonic()
    engine = snapshot.engine()
    scratch = Path(tempfile.mkdtemp(prefix=".drill-", dir=backup_dir()))
    database = ""
    try:
        keys_dir = scratch / "keys"
        keys_dir.mkdir(mode=0o700)
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update({"CRM_DATA_DIR": str(scratch), "PYTHONUNBUFFERED": "1"})
        env.pop("CRM_BACKUP_DIR", None)
        if keyring.master_key_is_generated():
            shutil.copy2(datadir.path() / "keys" / "master.key", keys_dir / "master.key")
        # The live ledger and its key: erasures since the backup are re-applied there too.
        for entry, path in _key_files().items():
            if entry != SIGNING_KEY_ENTRY and path.exists():
                shutil.copy2(path, keys_dir / Path(entry).name)
        if engine == "postgresql":
            database = f"{settings.DATABASES['default']['NAME']}_drill_{secrets.token_hex(4)}"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE DATABASE {connection.ops.quote_name(database)}"
                )  # generated, quoted name
            env["DATABASE_URL"] = _drill_database_url(database)
        command = [sys.executable, "-m", "terabox_crm.cli"]
        restore_code, restore_output = _run([*command, "backup", "restore", str(archive)], env)
        verify_code, verify_output = (1, "not run: the restore failed")
        if restore_code == 0:
            verify_code, verify_output = _run([*command, "audit", "verify"], env)
        passed = restore_code == 0 and verify_code == 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if database:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DROP DATABASE IF EXISTS {connection.ops.quote_name(database)} WITH (FORCE)"  # generated, quoted name
                    )
            except DatabaseError:
                log.warning("backups: could not drop the drill database %s", database)
    seconds = time.monotonic() - started
    facts = {
        "archive": archive.name,
        "engine": engine,
        "restore_exit": restore_code,
        "verify_exit": verify_code,
        "seconds": round(seconds, 3),
    }
    _record("backup.restore_drill", evidence.PASS if passed else evidence.FAIL, **facts)
    _audit("backup.restore_drill", **facts, passed=passed)
    return Drill(archive.name, passed, seconds, restore_output, verify_output)


# --- Prune (7 daily + 4 weekly) -------------------------------------------------------


def select_keep(stamped: list[tuple[str, datetime]], *, daily: int, weekly: int) -> set[str]:
    """The archives to keep: the newest of each of the last ``daily`` days
    that have one, and the newest of each of the last ``weekly`` ISO weeks
    that have one (the two sets may overlap, as restic's --keep-daily and
    --keep-weekly do)."""
    newest_first = sorted(stamped, key=lambda item: item[1], reverse=True)
    keep: set[str] = set()
    for size, bucket in ((daily, lambda at: at.date()), (weekly, lambda at: at.isocalendar()[:2])):
        seen: set = set()
        for name, at in newest_first:
            key = bucket(at.astimezone(UTC))
            if key in seen:
                continue
            if len(seen) >= size:
                break
            seen.add(key)
            keep.add(name)
    return keep


def prune(
    *,
    directory: str | os.PathLike | None = None,
    daily: int | None = None,
    weekly: int | None = None,
) -> list[str]:
    """Delete archives outside the daily/weekly window; returns their names."""
    daily = settings.BACKUP_KEEP_DAILY if daily is None else daily
    weekly = settings.BACKUP_KEEP_WEEKLY if weekly is None else weekly
    infos = [info for info in list_archives(directory) if info.created_at is not None]
    keep = select_keep([(i.name, i.created_at) for i in infos], daily=daily, weekly=weekly)
    removed = []
    for info in infos:
        if info.name in keep:
            continue
        info.path.unlink(missing_ok=True)
        _state_path(info.path).unlink(missing_ok=True)
        removed.append(info.name)
    if removed:
        _audit("backup.pruned", archive="", removed=len(removed), kept=len(keep))
    return removed
