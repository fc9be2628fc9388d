"""``terabox-crm security report [--json] [--lang ja|en]``: the live security
report (S8, S10) — every check registered with ``core.evidence`` (TLS and
HSTS, keys and their age, two-factor coverage by role, inactive accounts,
API tokens, the audit chain and its checkpoints, overdue privacy requests,
and whatever other apps register: backups, incidents), one line each with
its mark.

``--json`` prints the same findings for monitoring: ``overall``, ``counts``
and one object per finding with ``check``, ``section``, ``status``,
``title``, ``detail`` and ``data`` (counts, ids and ages; no personal data).

Exit 0 when every check passes, 1 when one fails, 2 when some only warn —
so a monitoring job can alert on 1 and report 2. A usage or configuration
error also exits 2 and says so on standard error.
"""

from __future__ import annotations

import argparse
import json

from terabox_crm.ops.bootstrap import prepare

# "[PASS]", "[WARN]", "[FAIL]": a word, so the mark survives a plain log.
MARKS = {status: f"[{status.upper()}]" for status in ("pass", "warn", "fail")}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm security",
        description="The live security report. Exit 0 all pass, 1 any fail, 2 warnings only.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    report = commands.add_parser("report", help="print the security report")
    report.add_argument("--json", action="store_true", help="machine-readable output")
    report.add_argument(
        "--lang", choices=("en", "ja"), default="en", help="language of the text (default en)"
    )
    return parser


def _print_text(report) -> None:
    counts = report.counts()
    print(
        f"security report {report.made_at:%Y-%m-%d %H:%M %Z}: {report.overall.upper()} "
        f"({counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail)"
    )
    for section in report.sections():
        print(f"\n{section['title']}")
        for finding in section["findings"]:
            print(f"  {MARKS[finding.status]} {finding.title}: {finding.detail}")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from django.utils import translation

    from terabox_crm.context import system_context
    from terabox_crm.securityreport import report as reports

    with system_context("cli"), translation.override(args.lang):
        made = reports.make()
        if args.json:
            print(json.dumps(made.as_json(), indent=2, ensure_ascii=False, sort_keys=True))
        else:
            _print_text(made)
    return made.exit_code
