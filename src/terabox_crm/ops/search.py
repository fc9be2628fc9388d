"""``terabox-crm search …``: search-index tools for operators (S3).

* ``reindex [--workspace W]... [--batch N] [--restart]`` — rewrite the
  whole-token search terms of names (contacts, companies, deals) from the
  decrypted values, ``N`` rows per transaction (default 1,000), streamed in
  primary-key order (``core.search_reindex``). Needed once after an upgrade
  that changes how names are split into terms (company names into words,
  full names joined: docs/decisions/0010-company-name-search.md); rows saved
  after the upgrade already have the new terms. Resumable: the progress is
  kept in the data dir after every batch (``search/reindex.progress``), and a
  run that stopped (Ctrl-C, a crash) continues where it was; ``--restart``
  starts over. A progress line per 10,000 rows.

Exit 0 when every workspace finished, 1 when the run stopped (run it again
to resume), 2 on a usage error (an unknown workspace). Works on a fresh data
dir. Each workspace's end is an audit event (``crypto.search.reindexed``).
"""

from __future__ import annotations

import argparse
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

    return datadir.private_dir("search") / "reindex.progress"


# The progress file: a line "key <selection>", then one line per source,
# "<workspace> <source> <cursor or -> <rows> <done 0|1>", and "<workspace>
# __done__" once a workspace finished. Plain lines: this module writes the
# file and reads only what it wrote (request bodies alone go through JSON
# parsing, core.jsonbody).


def _dump(key: str, progress: dict) -> bytes:
    lines = [f"key {key}"]
    for workspace, states in progress.items():
        for label, state in states.items():
            if label == "__done__":
                lines.append(f"{workspace} __done__")
                continue
            lines.append(
                f"{workspace} {label} {state.get('cursor') or '-'}"
                f" {state.get('rows', 0)} {int(bool(state.get('done')))}"
            )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _load(path, key: str) -> dict:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    if not lines or lines[0] != f"key {key}":
        return {}
    progress: dict = {}
    for line in lines[1:]:
        fields = line.split()
        if len(fields) == 2 and fields[1] == "__done__":
            progress.setdefault(fields[0], {})["__done__"] = True
        elif len(fields) == 5 and fields[3].isdigit():
            workspace, label, cursor, rows, done = fields
            progress.setdefault(workspace, {})[label] = {
                "cursor": None if cursor == "-" else cursor,
                "rows": int(rows),
                "done": done == "1",
            }
        else:
            return {}  # not a file this command wrote: start over
    return progress


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
            datadir.write_private_file(path, _dump(key, state))

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
