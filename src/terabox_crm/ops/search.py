"""``terabox-crm search …``: search-index tools for operators (S3).

* ``reindex [--workspace W]... [--batch N] [--restart]`` — rewrite the
  whole-token search terms of names (contacts, companies, deals) from the
  decrypted values, ``N`` rows per transaction (default 1,000), streamed in
  primary-key order (``core.search_reindex``). Needed once after an upgrade
  that changes how names are split into terms (company names into words,
  full names joined: docs/decisions/0010-company-name-search.md); rows saved
  after the upgrade already have the new terms. Resumable: the progress is
  kept in the data dir after every batch (``search/reindex.json``), and a
  run that stopped (Ctrl-C, a crash) continues where it was; ``--restart``
  starts over. A progress line per 10,000 rows.

Exit 0 when every workspace finished, 1 when the run stopped (run it again
to resume), 2 on a usage error (an unknown workspace). Works on a fresh data
dir. Each workspace's end is an audit event (``crypto.search.reindexed``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from terabox_crm.ops.bootstrap import prepare

log = logging.getLogger(__name__)
REPORT_EVERY = 10_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terabox-crm search", description="Search-index tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "reindex", help="rewrite the search terms of names (resumable, batched)"
    )
    run.add_argument(
        "--workspace",
        action="append",
        default=[],
        help="only this workspace: an id or a slug (repeatable; default every workspace)",
    )
    run.add_argument(
        "--batch", type=int, default=1000, help="rows per transaction, 1…5000 (default 1000)"
    )
    run.add_argument(
        "--restart", action="store_true", help="ignore the saved progress and start over"
    )
    return parser


def _progress_file():
    from terabox_crm import datadir

    return datadir.private_dir("search") / "reindex.json"


def _load(path, key: str) -> dict:
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return saved.get("progress", {}) if saved.get("key") == key else {}


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not 1 <= args.batch <= 5000:
        print("terabox-crm search reindex: --batch must be between 1 and 5000", file=sys.stderr)
        return 2
    prepare()
    from django_scopes import scopes_disabled

    from terabox_crm import datadir
    from terabox_crm.context import system_context
    from terabox_crm.core import search_reindex
    from terabox_crm.ops.retention import _workspaces

    with system_context("cli"), scopes_disabled():
        try:
            workspace_ids = _workspaces(args.workspace)
        except LookupError as exc:
            print(f"terabox-crm search reindex: no workspace {exc.args[0]!r}", file=sys.stderr)
            return 2
        # The saved progress belongs to one selection of workspaces.
        key = ",".join(sorted(str(pk) for pk in workspace_ids)) if workspace_ids else "*"
        path = _progress_file()
        progress = {} if args.restart else _load(path, key)
        if progress:
            print("resuming the previous run (--restart to start over)")
        counted = {"rows": 0, "reported": 0}

        def save(state: dict) -> None:
            datadir.write_private_file(
                path, json.dumps({"key": key, "progress": state}).encode("utf-8")
            )

        def on_batch(label: str, rows: int) -> None:
            counted["rows"] += rows
            if counted["rows"] - counted["reported"] >= REPORT_EVERY:
                counted["reported"] = counted["rows"]
                print(f"{counted['rows']} row(s) reindexed ({label})", flush=True)

        try:
            progress = search_reindex.reindex(
                workspace_ids=workspace_ids,
                progress=progress,
                batch_size=args.batch,
                save=save,
                on_batch=on_batch,
            )
        except Exception:
            log.exception("search reindex failed")
            print(
                "terabox-crm search reindex: not finished; run it again to resume",
                file=sys.stderr,
            )
            return 1
        for workspace, states in sorted(progress.items()):
            rows = ", ".join(
                f"{label} {state.get('rows', 0)}"
                for label, state in sorted(states.items())
                if isinstance(state, dict)
            )
            print(f"workspace {workspace}: {rows}")
        path.unlink(missing_ok=True)
        print(f"done: {counted['rows']} row(s) reindexed")
    return 0
