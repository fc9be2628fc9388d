"""Re-applying the erasure ledger after a restore (P8, S11; DESIGN.md §4).

``reapply()`` reads the ledger file in the data dir, and for every entry the
database has no tombstone of (it was restored from before the erasure):

1. erases the person's id again if the restored database holds it, and
   writes the tombstone back (marked re-applied);
2. erases any other person in that workspace who holds one of the erased
   identifiers (the keyed hashes; the stored emails and phones are walked in
   batches by the registered identifier sources), with a tombstone of their own;
3. then verifies every audit chain.

``terabox-crm erasure reapply`` runs it; ``backup restore`` calls it after
loading a backup. It is idempotent: a second run finds every tombstone present.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django_scopes import scope, scopes_disabled

from terabox_crm.audit import verify
from terabox_crm.core.models import Workspace
from terabox_crm.erasure import keys, ledger, registry, services
from terabox_crm.erasure.models import Tombstone


@dataclass
class ReapplyReport:
    entries: int = 0
    reapplied: list[str] = field(default_factory=list)  # subject ids erased again
    matched: list[str] = field(default_factory=list)  # other subjects holding an erased identifier
    workspace_missing: int = 0
    bad_lines: list[int] = field(default_factory=list)
    chains: list = field(default_factory=list)  # verify.ChainReport

    @property
    def chains_intact(self) -> bool:
        return all(report.finding is None for report in self.chains)

    @property
    def ok(self) -> bool:
        return self.chains_intact and not self.bad_lines


def _missing(entries: list[dict], report: ReapplyReport) -> dict[str, list[dict]]:
    by_workspace: dict[str, list[dict]] = {}
    for entry in entries:
        by_workspace.setdefault(entry["workspace"], []).append(entry)
    missing: dict[str, list[dict]] = {}
    with scopes_disabled():
        known = {
            str(pk)
            for pk in Workspace.objects.filter(pk__in=list(by_workspace)).values_list(
                "pk", flat=True
            )
        }
        for workspace_id, items in by_workspace.items():
            if workspace_id not in known:
                report.workspace_missing += len(items)
                continue
            present = {
                str(s)
                for s in Tombstone.objects.filter(
                    workspace_id=workspace_id, subject_id__in=[e["subject"] for e in items]
                ).values_list("subject_id", flat=True)
            }
            todo = [e for e in items if e["subject"] not in present]
            if todo:
                missing[workspace_id] = todo
    return missing


def _reapply_workspace(workspace_id: str, items: list[dict], report: ReapplyReport) -> None:
    workspace_uuid = uuid.UUID(workspace_id)
    digests: dict[str, str] = {}
    with scope(workspace=workspace_uuid):
        for entry in items:
            subject = uuid.UUID(entry["subject"])
            digests.update(entry.get("digests", {}))
            with transaction.atomic():
                services._erase(
                    workspace_uuid,
                    subject,
                    reapplied_from={**entry, "at": datetime.fromisoformat(entry["at"])},
                )
            report.reapplied.append(str(subject))
        if not digests:
            return

        def match(kind: str, value: str) -> bool:
            return digests.get(keys.digest(workspace_uuid, kind, value)) == kind

        holders: set = set()
        for source in registry.identifier_sources():
            holders |= set(source.holders(workspace_uuid, match))
        for other in sorted(holders, key=str):
            with transaction.atomic():
                if Tombstone.objects.filter(workspace_id=workspace_uuid, subject_id=other).exists():
                    continue
                services._erase(workspace_uuid, other, reason="", request_id="", actor_id=None)
            report.matched.append(str(other))


def reapply() -> ReapplyReport:
    """Re-apply every ledger entry the database lacks, then verify the audit chains."""
    report = ReapplyReport()
    entries, report.bad_lines = ledger.entries()
    report.entries = len(entries)
    for workspace_id, items in _missing(entries, report).items():
        _reapply_workspace(workspace_id, items, report)
    report.chains = verify.verify_all()
    return report
