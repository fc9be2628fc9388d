"""``terabox-crm keys …``: data-key tools for operators (S3, S4).

* ``rotate [--scope SCOPE]... [--all-workspaces] [--system] [--batch N]`` —
  give each chosen scope a new active encryption key (the old one becomes
  decrypt-only) and re-encrypt every encrypted column of that scope's rows,
  ``N`` rows per transaction (default 1,000). ``SCOPE`` is ``system``, a
  workspace id or a workspace slug. Resumable: when a rotation of the scope
  did not finish (interrupted, crashed), rerunning continues it instead of
  adding another key. Progress is a bar with an ETA, redrawn in place on a
  terminal and printed every 10 % otherwise.
* ``rotate --destroy-unused [--older-than DAYS]`` — destroy the decrypt-only
  keys of the chosen scopes that no row names any more, once their rotation
  finished more than ``DAYS`` ago (default 35: longer than backups are kept,
  since a backup restored later still needs the old key to be read).
* ``status`` — the rotation jobs and how far each got.

Exit 0 when every chosen scope finished, 1 when one did not, 2 on a usage
or configuration error. Works on a fresh data dir: migrations are applied
first. Each rotation is an audit event (``crypto.keys.rotated``), channel cli.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from terabox_crm.ops.bootstrap import prepare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terabox-crm keys", description="Data-key tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rotate = commands.add_parser(
        "rotate", help="new encryption key per scope, then re-encrypt its rows (resumable)"
    )
    rotate.add_argument(
        "--scope",
        action="append",
        default=[],
        help="'system', a workspace id or a workspace slug (repeatable)",
    )
    rotate.add_argument("--all-workspaces", action="store_true", help="every workspace")
    rotate.add_argument("--system", action="store_true", help="the system scope (user accounts)")
    rotate.add_argument(
        "--batch", type=int, default=1000, help="rows per transaction (default 1000)"
    )
    rotate.add_argument(
        "--destroy-unused",
        action="store_true",
        help="instead of rotating: destroy old keys no row names any more",
    )
    rotate.add_argument(
        "--older-than",
        type=int,
        default=35,
        metavar="DAYS",
        help="with --destroy-unused: only keys retired more than DAYS ago (default 35)",
    )
    commands.add_parser("status", help="list rotation jobs and their progress")
    return parser


class ProgressBar:
    """``[#####.....]  50%  500/1000 rows  ETA 0:12`` — in place on a TTY,
    one line per 10 % otherwise (logs, CI)."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO, *, tty: bool | None = None) -> None:
        self.label = label
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.first_done: int | None = None
        self.last_decile = -1
        self.drawn = False

    def _eta(self, done: int, total: int) -> str:
        if self.first_done is None:
            self.first_done = done
        moved = done - self.first_done
        elapsed = time.monotonic() - self.started
        if moved <= 0 or total <= done:
            return "--:--" if total > done else "0:00"
        seconds = int(elapsed / moved * (total - done))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def __call__(self, done: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(done / total, 1.0)
        eta = self._eta(done, total)
        filled = int(self.WIDTH * fraction)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{fraction:4.0%}  {done}/{total} rows  ETA {eta}"
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

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _scopes(args) -> list[str]:
    from terabox_crm.core import rotation
    from terabox_crm.crypto import keyring

    chosen: list[str] = []
    if args.system:
        chosen.append(keyring.SYSTEM_SCOPE)
    if args.all_workspaces:
        chosen += rotation.all_workspace_scopes()
    chosen += [rotation.resolve_scope(name) for name in args.scope]
    return list(dict.fromkeys(chosen))


def _rotate(args) -> int:
    from terabox_crm.core import rotation
    from terabox_crm.crypto.models import RotationJob

    if args.batch < 1:
        print("terabox-crm keys rotate: --batch must be at least 1", file=sys.stderr)
        return 2
    try:
        scopes = _scopes(args)
    except rotation.RotationError as exc:
        print(f"terabox-crm keys rotate: {exc}", file=sys.stderr)
        return 2
    if not scopes:
        print(
            "terabox-crm keys rotate: choose --scope SCOPE, --all-workspaces or --system",
            file=sys.stderr,
        )
        return 2
    if args.destroy_unused:
        return _destroy(scopes, args.older_than)
    unfinished = 0
    for scope in scopes:
        bar = ProgressBar(f"rotate {scope}", sys.stdout)
        try:
            job = rotation.rotate(scope=scope, batch_size=args.batch, progress=bar)
        finally:
            bar.close()
        if job.state == RotationJob.State.DONE:
            note = (
                f", {len(job.unreadable)} unreadable row(s) left as they were"
                if job.unreadable
                else ""
            )
            print(
                f"{scope}: key {job.new_key_id} active, {job.rows_done} row(s) re-encrypted{note}"
            )
            for marker in job.unreadable:
                print(f"  unreadable: {marker}")
        else:
            unfinished += 1
            print(f"{scope}: not finished (job {job.pk}); run the command again to continue")
    return 1 if unfinished else 0


def _destroy(scopes: list[str], older_than: int) -> int:
    from datetime import timedelta

    from terabox_crm.core import rotation

    for scope in scopes:
        destroyed, kept = rotation.destroy_unused_keys(
            scope=scope, retired_before_days=timedelta(days=older_than)
        )
        print(f"{scope}: destroyed {len(destroyed)} key(s); kept {len(kept)} still needed")
        for key_id, reason in kept:
            print(f"  kept {key_id}: {reason}")
    return 0


def _status(args) -> int:
    from terabox_crm.crypto.models import RotationJob

    jobs = RotationJob.objects.order_by("-started_at")[:50]
    if not jobs:
        print("no rotations yet")
    for job in jobs:
        print(
            f"{job.started_at:%Y-%m-%d %H:%M} {job.scope} {job.state} key {job.new_key_id} "
            f"rows {job.rows_done} skipped {job.rows_skipped} unreadable {len(job.unreadable)}"
        )
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from terabox_crm.context import system_context
    from terabox_crm.env import ConfigurationError

    try:
        with system_context("cli"):
            return {"rotate": _rotate, "status": _status}[args.command](args)
    except ConfigurationError as exc:
        print(f"terabox-crm keys: {exc}", file=sys.stderr)
        return 2
