"""``terabox-crm policies …``: the installation operator's policy tools (P10).

* ``publish --kind privacy|security --ja FILE --en FILE --effective YYYY-MM-DD
  [--summary-ja TEXT] [--summary-en TEXT]`` — publish the next version of a
  policy (Markdown, Japanese and English), taking effect at the start of that
  day in ``CRM_TIME_ZONE``. Refused, nothing stored, with less than
  ``CRM_POLICY_NOTICE_DAYS`` days of notice (default 30) or before a version
  already published. The bodies may hold the placeholders
  ``{{ data_inventory }}``, ``{{ contact }}`` and ``{{ subprocessors }}``
  (policies/rendering.py). Audited (``policies.version.published``).
* ``list`` — every version, its dates, and the notices sent for it.
* ``notify`` — send the notices that are due now (the hourly job does it too).

Publishing is an installation act, not a workspace role's: whoever runs the
command on the server is the operator. Exit 0 on success, 1 when refused,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from terabox_crm.ops.bootstrap import prepare, terminal_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terabox-crm policies", description="Policy tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    publish = commands.add_parser("publish", help="publish the next version of a policy")
    publish.add_argument("--kind", required=True, choices=["privacy", "security"])
    publish.add_argument("--ja", required=True, metavar="FILE", help="the Japanese text (Markdown)")
    publish.add_argument("--en", required=True, metavar="FILE", help="the English text (Markdown)")
    publish.add_argument(
        "--effective", required=True, metavar="YYYY-MM-DD", help="the day it takes effect"
    )
    publish.add_argument("--summary-ja", default="", help="what changed, in Japanese")
    publish.add_argument("--summary-en", default="", help="what changed, in English")
    commands.add_parser("list", help="every version and the notices sent for it")
    commands.add_parser("notify", help="send the notices that are due now")
    return parser


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"terabox-crm policies: cannot read {path}: {exc}") from None


def _publish(args) -> int:
    from django.utils import timezone

    from terabox_crm.policies import services
    from terabox_crm.refusals import Refusal

    try:
        day = date.fromisoformat(args.effective)
    except ValueError:
        print(
            f"terabox-crm policies: --effective must be a date, YYYY-MM-DD; got {args.effective!r}",
            file=sys.stderr,
        )
        return 2
    effective_at = timezone.make_aware(datetime(day.year, day.month, day.day))
    try:
        version = services.version_publish(
            kind=args.kind,
            body_ja=_read(args.ja),
            body_en=_read(args.en),
            summary_ja=args.summary_ja,
            summary_en=args.summary_en,
            effective_at=effective_at,
        )
    except Refusal as refusal:
        print(f"terabox-crm policies: refused: {refusal.messages[0]}", file=sys.stderr)
        return 1
    print(
        f"Published {version.kind} policy version {version.number}, "
        f"taking effect {timezone.localtime(version.effective_at):%Y-%m-%d %H:%M %Z}."
    )
    return 0


def _list(args) -> int:
    from django.utils import timezone

    from terabox_crm.policies.models import NoticeDispatch, PolicyVersion

    dispatches: dict = {}
    for row in NoticeDispatch.objects.order_by("started_at"):
        dispatches.setdefault(row.version_id, []).append(row)
    for version in PolicyVersion.objects.order_by("kind", "number"):
        published = (
            f"{timezone.localtime(version.published_at):%Y-%m-%d}"
            if version.published_at
            else "draft"
        )
        print(
            f"{version.kind:<9} v{version.number:<3} "
            f"effective {timezone.localtime(version.effective_at):%Y-%m-%d}  published {published}"
        )
        for row in dispatches.get(version.pk, []):
            print(f"    notice to {row.audience}: {row.status}, {row.recipients} recipients")
    return 0


def _notify(args) -> int:
    from terabox_crm.policies import notices

    print(f"Queued {notices.dispatch_due()} notice emails.")
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from django.utils import translation

    from terabox_crm.context import system_context

    # A refusal (too short a notice, P10) speaks the terminal's language, as
    # ``createowner`` and ``token`` do, not the installation's default.
    with system_context("cli"), translation.override(terminal_language()):
        return {"publish": _publish, "list": _list, "notify": _notify}[args.command](args)
