"""``terabox-crm backup …``: encrypted backups and their restore (S11).

* ``create [--dir DIR]`` — a consistent online snapshot of the database
  (SQLite's backup API, or ``pg_dump -Fc``) while the server runs, encrypted
  as a stream (AES-256-GCM in 1 MiB chunks, key derived from the master key)
  with a MACed manifest, into ``DIR`` (default ``CRM_BACKUP_DIR``, else
  ``<data dir>/backups``). Prints the archive's path, size and master key id.
* ``list [--dir DIR] [--json]`` — the archives, newest first: age, size and
  state (verified, unverified, corrupt).
* ``verify ARCHIVE [--drill]`` — decrypt and check without restoring
  (SQLite ``PRAGMA integrity_check`` on a private temporary copy, PostgreSQL
  ``pg_restore --list``). ``--drill`` then restores it into a throw-away data
  dir (and database) with the live erasure ledger, runs ``audit verify``
  there and records a restore drill for the security report.
* ``restore ARCHIVE [--force]`` — restore into an empty data dir or database
  (no workspace, no user); a non-empty one is refused unless ``--force``.
  Then migrates, re-applies the erasure ledger and verifies the audit chains.
  Stop the server (and workers) first.
* ``prune [--daily N] [--weekly N]`` — what the daily job does after its
  backup: keep the newest archive of each of the last N days and N weeks
  (default ``CRM_BACKUP_KEEP_DAILY``/``CRM_BACKUP_KEEP_WEEKLY``: 7 and 4).

``ARCHIVE`` is a path or a file name in the backup dir. Exit 0 on success; 1
when an archive fails its check (tampered, truncated, another master key,
corrupt: said which, recorded as the security event
``security.backup.rejected``), a drill fails or a restored chain does not
verify; 2 on a usage or configuration error; 3 when a restore is refused
(not empty, or another engine: nothing changed,
``security.backup.restore_refused``). Progress is a bar with an ETA, redrawn
in place on a terminal and printed every 10 % otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from terabox_crm.ops.bootstrap import PRIVATE_UMASK, prepare, setup_django
from terabox_crm.ops.keys import ProgressBar


class ByteProgress(ProgressBar):
    """The keys/retention bar, counting megabytes instead of rows."""

    def __call__(self, done: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(done / total, 1.0)
        eta = self._eta(done, total)
        filled = int(self.WIDTH * fraction)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{fraction:4.0%}  {_size(done)}/{_size(total)}  ETA {eta}"
        )
        if self.tty:
            self.stream.write("\r" + line)
            self.drawn = True
        else:
            decile = int(fraction * 10)
            if decile == self.last_decile:
                return
            self.last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm backup", description="Encrypted backups and restore (S11)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    directory = argparse.ArgumentParser(add_help=False)
    directory.add_argument(
        "--dir", help="the backup directory (default CRM_BACKUP_DIR, else <data dir>/backups)"
    )
    commands.add_parser("create", parents=[directory], help="take an encrypted online backup")
    listing = commands.add_parser("list", parents=[directory], help="archives, age, size, state")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    verify = commands.add_parser(
        "verify", parents=[directory], help="decrypt and check an archive without restoring it"
    )
    verify.add_argument("archive", metavar="ARCHIVE")
    verify.add_argument(
        "--drill",
        action="store_true",
        help="also restore it into a throw-away place and verify the audit chains there",
    )
    restore = commands.add_parser(
        "restore", parents=[directory], help="restore an archive into an empty data dir/database"
    )
    restore.add_argument("archive", metavar="ARCHIVE")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that is not empty"
    )
    prune = commands.add_parser(
        "prune", parents=[directory], help="remove archives outside the daily/weekly window"
    )
    prune.add_argument("--daily", type=int, help="daily archives to keep (default 7)")
    prune.add_argument("--weekly", type=int, help="weekly archives to keep (default 4)")
    return parser


def _create(args) -> int:
    from terabox_crm.backups import services

    bar = ByteProgress("backup", sys.stdout)
    try:
        created = services.create(directory=args.dir, progress=bar)
    finally:
        bar.close()
    manifest = created.manifest
    print(
        f"{created.path}: {_size(manifest['ciphertext_size'])} "
        f"({manifest['engine']}, database {_size(manifest['files'][0]['size'])}) "
        f"in {created.seconds:.1f} s; needs master key {manifest['master_key_id']} to restore"
    )
    return 0


def _list(args) -> int:
    from terabox_crm.backups import services

    archives = services.list_archives(args.dir)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "archive": info.name,
                        "path": str(info.path),
                        "created_at": info.created_at.isoformat() if info.created_at else None,
                        "age_seconds": round(info.age_seconds) if info.age_seconds else None,
                        "size": info.size,
                        "state": info.state,
                        "checked_at": info.checked_at or None,
                        "engine": (info.manifest or {}).get("engine"),
                        "master_key_id": (info.manifest or {}).get("master_key_id"),
                    }
                    for info in archives
                ],
                indent=2,
            )
        )
        return 0
    if not archives:
        print(f"no backups in {services.backup_dir(args.dir)}")
        return 0
    for info in archives:
        manifest = info.manifest or {}
        print(
            f"{info.name}  {_age(info.age_seconds):>7} ago  {_size(info.size):>10}  "
            f"{info.state:<10}  {manifest.get('engine', '?')}  "
            f"key {manifest.get('master_key_id', '?')}"
        )
    return 0


def _rejected(command: str, path, exc) -> int:
    print(f"terabox-crm backup {command}: {path.name}: {exc} [{exc.reason}]", file=sys.stderr)
    if exc.reason != "other_key":
        print("nothing was changed; use another archive", file=sys.stderr)
    return 1


def _verify(args) -> int:
    from terabox_crm.backups import services
    from terabox_crm.backups.archive import ArchiveError

    path = services.resolve(args.archive, args.dir)
    bar = ByteProgress("verify", sys.stdout)
    try:
        verified = services.verify(path, progress=bar)
    except ArchiveError as exc:
        bar.close()
        return _rejected("verify", path, exc)
    bar.close()
    manifest = verified.manifest
    print(
        f"{path.name}: verified — {verified.check}; created {manifest.get('created_at')}, "
        f"{manifest.get('engine')}, app {manifest.get('app_version')}, "
        f"{len(manifest.get('files', []))} file(s), sha256 {manifest['ciphertext_sha256'][:16]}…"
    )
    if not args.drill:
        return 0
    print("restore drill: restoring into a throw-away data dir …", flush=True)
    drill = services.drill(path)
    print(drill.restore_output)
    print(drill.verify_output)
    print(f"restore drill: {'passed' if drill.passed else 'FAILED'} in {drill.seconds:.1f} s")
    return 0 if drill.passed else 1


def _restore(args) -> int:
    from terabox_crm.backups import services
    from terabox_crm.backups.archive import ArchiveError

    path = services.resolve(args.archive, args.dir)
    bar = ByteProgress("restore", sys.stdout)
    try:
        restored = services.restore(path, force=args.force, progress=bar)
    except services.RestoreRefused as exc:
        bar.close()
        print(f"terabox-crm backup restore: {exc}", file=sys.stderr)
        return 3
    except ArchiveError as exc:
        bar.close()
        return _rejected("restore", path, exc)
    bar.close()
    manifest = restored.manifest
    print(
        f"restored {path.name} (created {manifest.get('created_at')}) in {restored.seconds:.1f} s"
    )
    for entry, what in restored.key_files.items():
        print(f"  {entry}: {what}")
    print(
        f"erasure ledger: {len(restored.reapplied)} erasure(s) re-applied, "
        f"{len(restored.matched)} other holder(s) of an erased address erased"
    )
    for number in restored.bad_ledger_lines:
        print(f"ledger line {number}: integrity check failed, not applied", file=sys.stderr)
    for chain in restored.chains:
        print(chain.summary())
    ok = restored.chains_intact and not restored.bad_ledger_lines
    return 0 if ok else 1


def _prune(args) -> int:
    from terabox_crm.backups import services

    removed = services.prune(directory=args.dir, daily=args.daily, weekly=args.weekly)
    for name in removed:
        print(f"removed {name}")
    print(f"{len(removed)} archive(s) removed")
    return 0


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "prune" and ((args.daily or 1) < 1 or (args.weekly or 0) < 0):
        print("terabox-crm backup prune: --daily must be at least 1", file=sys.stderr)
        return 2
    if args.command == "restore":
        # No migration first: the database must stay as it is until the
        # archive is proved and the emptiness check passed.
        os.umask(PRIVATE_UMASK)
        setup_django()
    else:
        prepare()
    from terabox_crm.backups import services, snapshot
    from terabox_crm.context import system_context

    commands = {
        "create": _create,
        "list": _list,
        "verify": _verify,
        "restore": _restore,
        "prune": _prune,
    }
    with system_context("cli"):
        try:
            return commands[args.command](args)
        except (services.BackupError, snapshot.SnapshotError) as exc:
            print(f"terabox-crm backup {args.command}: {exc}", file=sys.stderr)
            if isinstance(exc, services.RestoreRefused):
                return 3
            return 2 if isinstance(exc, services.NoArchive) else 1
