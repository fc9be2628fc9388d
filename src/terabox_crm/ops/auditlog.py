"""``terabox-crm audit …``: audit log tools for operators.

* ``verify [--chain CHAIN] [--since-checkpoint]`` — recompute the hash chains
  and check the signed checkpoints. Prints one line per chain; exits 0 when
  every chain is intact, 1 when one is not (naming its first bad event), 2 on
  a usage or configuration error. Each run is recorded as evidence
  ``audit.verified`` (pass or fail, with counts), which the security report
  shows. ``CHAIN`` is ``system``, a workspace id or a
  workspace slug. A finding is also recorded as a security event in the
  affected workspace's own trail, so its admins see it.
* ``checkpoint`` — sign a checkpoint now for every chain that grew since its
  last one (what the hourly job does); useful before a backup or a key
  rotation.

Works on a fresh data dir: migrations are applied first.
"""

from __future__ import annotations

import argparse
import logging
import sys

from terabox_crm.ops.bootstrap import prepare

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terabox-crm audit", description="Audit log tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify", help="check the hash chains and signed checkpoints; exit 1 on tampering"
    )
    verify.add_argument(
        "--chain", help="only this chain: 'system', a workspace id or a workspace slug"
    )
    verify.add_argument(
        "--since-checkpoint",
        action="store_true",
        help="start from each chain's newest valid checkpoint instead of genesis (quicker)",
    )
    commands.add_parser("checkpoint", help="sign a checkpoint for every chain that grew")
    return parser


def _resolve_chain(name: str) -> str | None:
    from terabox_crm.audit import verify
    from terabox_crm.core.models import Workspace

    if name in verify.chains():
        return name
    workspace = Workspace.objects.filter(slug=name).values_list("pk", flat=True).first()
    return str(workspace) if workspace else None


def _record_finding(report) -> None:
    """Tell the workspace's own trail that its chain failed verification."""
    from terabox_crm import audit
    from terabox_crm.audit.chain import SYSTEM_CHAIN
    from terabox_crm.core.models import Workspace

    finding = report.finding
    workspace = None
    if report.chain != SYSTEM_CHAIN:
        workspace = Workspace.objects.filter(pk=report.chain).first()
        if workspace is None:
            return  # a chain whose workspace is gone: only the operator's output tells
    try:
        audit.record(
            "security.audit.tamper_detected",
            workspace=workspace,
            payload={"seq": finding.seq, "reason": finding.reason},
        )
    except Exception:  # a broken database must not hide the finding itself
        log.exception("could not record the audit verification finding")


def _verify(args) -> int:
    from terabox_crm.audit import verify

    chain = None
    if args.chain:
        chain = _resolve_chain(args.chain)
        if chain is None:
            print(f"terabox-crm audit verify: no chain {args.chain!r}", file=sys.stderr)
            return 2
    reports = verify.verify_all(chain=chain, since_checkpoint=args.since_checkpoint)
    if not reports:
        print("no audit events yet: nothing to verify")
        _record_evidence(reports, [], partial=bool(chain or args.since_checkpoint))
        return 0
    for report in reports:
        print(report.summary())
    broken = [report for report in reports if not report.ok]
    for report in broken:
        _record_finding(report)
    _record_evidence(reports, broken, partial=bool(chain or args.since_checkpoint))
    return 1 if broken else 0


def _record_evidence(reports, broken, *, partial: bool) -> None:
    """Evidence ``audit.verified`` for the security report (S5, S8): counts
    and the first broken place, never content. A partial run (one chain, or
    from the last checkpoint) says so."""
    from terabox_crm.core import evidence

    evidence.record(
        "audit.verified",
        evidence.FAIL if broken else evidence.PASS,
        chains=len(reports),
        events=sum(report.events for report in reports),
        broken=len(broken),
        first_broken=({"chain": broken[0].chain, "seq": broken[0].finding.seq} if broken else None),
        partial=partial,
    )


def _checkpoint(args) -> int:
    from terabox_crm.audit import checkpoints

    written = checkpoints.checkpoint_stale_chains()
    print(f"signed {written} checkpoint(s)")
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from terabox_crm.context import system_context
    from terabox_crm.env import ConfigurationError

    try:
        with system_context("cli"):
            return {"verify": _verify, "checkpoint": _checkpoint}[args.command](args)
    except ConfigurationError as exc:
        print(f"terabox-crm audit: {exc}", file=sys.stderr)
        return 2
