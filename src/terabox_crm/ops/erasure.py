"""``terabox-crm erasure …``: the erasure ledger for operators (P8, S11).

* ``reapply`` — re-apply every erasure in the ledger file (``keys/erasure-
  ledger.jsonl`` in the data dir) that the database lacks, as after a
  restore of an older backup, then verify the audit chains. Prints what was
  erased again; exits 0 when done and every chain verifies, 1 when a chain
  is broken or a ledger line failed its integrity check (named), 2 on a
  configuration error. ``backup restore`` runs the same function
  (``erasure.reapply.reapply``).
* ``status`` — how many entries the ledger holds and whether the database
  has a tombstone for each (nothing is changed).

Works on a fresh data dir: migrations are applied first.
"""

from __future__ import annotations

import argparse
import sys

from terabox_crm.ops.bootstrap import prepare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm erasure", description="Erasure ledger tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "reapply", help="erase again everyone the ledger names and the database still holds"
    )
    commands.add_parser("status", help="count ledger entries and the tombstones the database has")
    return parser


def _reapply(args) -> int:
    from terabox_crm.erasure import reapply

    report = reapply.reapply()
    print(f"ledger: {report.entries} entries")
    for subject in report.reapplied:
        print(f"erased again: {subject}")
    for subject in report.matched:
        print(f"erased (holds an erased address): {subject}")
    if report.workspace_missing:
        print(f"skipped: {report.workspace_missing} entries of workspaces this database lacks")
    for number in report.bad_lines:
        print(f"ledger line {number}: integrity check failed, not applied", file=sys.stderr)
    for chain in report.chains:
        print(chain.summary())
    if not report.reapplied and not report.matched:
        print("nothing to re-apply")
    return 0 if report.ok else 1


def _status(args) -> int:
    from django_scopes import scopes_disabled

    from terabox_crm.erasure import ledger
    from terabox_crm.erasure.models import Tombstone

    entries, bad = ledger.entries()
    with scopes_disabled():
        present = {
            (str(w), str(s)) for w, s in Tombstone.objects.values_list("workspace_id", "subject_id")
        }
    missing = [e for e in entries if (e["workspace"], e["subject"]) not in present]
    print(f"ledger: {len(entries)} entries, {len(missing)} not in the database, {len(bad)} bad")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from terabox_crm.context import system_context

    with system_context("cli"):
        return {"reapply": _reapply, "status": _status}[args.command](args)
