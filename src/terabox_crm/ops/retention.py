"""``terabox-crm retention run [--dry-run]``: apply the retention rules (P5).

* ``run`` — apply every enabled rule of every workspace (or of
  ``--workspace``, repeatable: an id or a slug) and the installation's own
  targets, in batches of at most ``--batch`` rows (default and maximum
  1,000) per transaction. A run that did not finish (a crash, Ctrl-C)
  is resumed from its cursors. A progress bar with an ETA is redrawn in place
  on a terminal and printed every 10 % otherwise; a summary per target
  follows, with the longest write transaction.
* ``run --dry-run`` — per workspace and target, how many rows a run now
  would expire, and nothing else: no row, audit event or run record is written.
* ``status`` — the last runs: when, what they removed, the longest hold.

Exit 0 on success, 1 when the run did not finish (an error; run it again to
resume), 2 on a usage or configuration error (an unknown workspace, a
malformed ``CRM_RETENTION_MINIMUM_DAYS``), 3 when another process (the daily
job, another ``run``) is applying the rules (nothing done; try again later). Works on a fresh data dir. Every
batch is an audit event (``retention.batch.applied``), channel ``cli``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from terabox_crm.ops.bootstrap import prepare
from terabox_crm.ops.keys import ProgressBar

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm retention", description="Apply the retention rules (P5)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="apply the enabled rules (resumes an unfinished run)")
    run.add_argument(
        "--dry-run", action="store_true", help="only count the rows each rule would expire"
    )
    run.add_argument(
        "--workspace",
        action="append",
        default=[],
        help="only this workspace: an id or a slug (repeatable; default every workspace)",
    )
    run.add_argument(
        "--batch", type=int, default=1000, help="rows per transaction, at most 1000 (default)"
    )
    commands.add_parser("status", help="list the last runs")
    return parser


def _workspaces(names: list[str]) -> list | None:
    from django.db.models import Q

    from terabox_crm.core.models import Workspace
    from terabox_crm.core.records import as_uuid

    if not names:
        return None
    found = []
    for name in names:
        key = as_uuid(name)
        match = Q(slug=name) | Q(pk=key) if key else Q(slug=name)
        pk = Workspace.objects.filter(match).values_list("pk", flat=True).first()
        if pk is None:
            raise LookupError(name)
        found.append(pk)
    return found


def _label(item) -> str:
    return f"{item.workspace_id or 'installation'} {item.target.code}"


DONE = {"delete": "deleted", "anonymise": "anonymised", "shred": "shredded"}


def _dry_run(workspace_ids) -> int:
    from terabox_crm.retention import engine

    rows = engine.dry_run(workspace_ids=workspace_ids)
    total = 0
    for item, count in rows:
        total += count
        print(
            f"{_label(item)}: {count} row(s) would be {DONE.get(item.action, item.action)} (older than {item.days} day(s))"
        )
    print(f"dry run: {total} row(s) in {len(rows)} rule(s); nothing was changed")
    return 0


def _run(workspace_ids, batch: int) -> int:
    from terabox_crm.retention import engine

    bar = ProgressBar("retention", sys.stdout)
    try:
        run = engine.run(trigger="cli", batch_size=batch, workspace_ids=workspace_ids, progress=bar)
    except engine.RunInProgress as exc:
        bar.close()
        print(
            f"terabox-crm retention run: another run is in progress ({exc}); nothing was done",
            file=sys.stderr,
        )
        return 3
    except Exception:
        bar.close()
        log.exception("retention run failed")
        print("terabox-crm retention run: not finished; run it again to resume", file=sys.stderr)
        return 1
    bar.close()
    for key, entry in sorted(run.progress.items()):
        print(
            f"{key}: {entry.get('rows', 0)} row(s) ({entry.get('action', '')}) in {entry.get('batches', 0)} batch(es)"
        )
    print(
        f"run {run.pk}: {run.rows_total} row(s) in {run.batches} batch(es); "
        f"longest write transaction {run.longest_hold_ms:.1f} ms"
    )
    return 0


def _status() -> int:
    from terabox_crm.retention.selectors import recent_runs

    runs = recent_runs()
    if not runs:
        print("no retention runs yet")
    for run in runs:
        finished = f"{run.finished_at:%Y-%m-%d %H:%M}" if run.finished_at else "not finished"
        print(
            f"{run.started_at:%Y-%m-%d %H:%M} {run.trigger} {run.state} ({finished}): "
            f"{run.rows_total} row(s), {run.batches} batch(es), "
            f"longest hold {run.longest_hold_ms:.1f} ms"
        )
    return 0


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "run" and not 1 <= args.batch <= 1000:
        print("terabox-crm retention run: --batch must be between 1 and 1000", file=sys.stderr)
        return 2
    prepare()
    from django_scopes import scopes_disabled

    from terabox_crm.context import system_context
    from terabox_crm.retention import minimums

    minimums.minimums()  # a malformed setting is a configuration error (exit 2), before any work
    with system_context("cli"), scopes_disabled():
        if args.command == "status":
            return _status()
        try:
            workspace_ids = _workspaces(args.workspace)
        except LookupError as exc:
            print(f"terabox-crm retention run: no workspace {exc.args[0]!r}", file=sys.stderr)
            return 2
        if args.dry_run:
            return _dry_run(workspace_ids)
        return _run(workspace_ids, args.batch)
