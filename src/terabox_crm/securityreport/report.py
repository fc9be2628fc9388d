"""The report as the page and the command show it: findings grouped by
section, a summary and the exit code (S8, S10)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.core import evidence
from terabox_crm.core.evidence import FAIL, PASS, WARN

SECTION_TITLES = {
    "tls": _("TLS and HSTS"),
    "keys": _("Keys"),
    "mfa": _("Two-factor sign-in"),
    "accounts": _("Accounts"),
    "tokens": _("API tokens"),
    "backups": _("Backups"),
    "audit": _("Audit trail"),
    "privacy": _("Privacy requests"),
    "incidents": _("Incidents"),
}
STATUS_LABELS = {PASS: _("Pass"), WARN: _("Warning"), FAIL: _("Fail")}
# Marks that do not rely on colour (WCAG 1.4.1): a symbol and a word.
STATUS_MARKS = {PASS: "✓", WARN: "!", FAIL: "✗"}
EXIT_CODES = {PASS: 0, FAIL: 1, WARN: 2}


@dataclass(frozen=True)
class Report:
    findings: list
    made_at: object

    @property
    def overall(self) -> str:
        statuses = {finding.status for finding in self.findings}
        if FAIL in statuses:
            return FAIL
        return WARN if WARN in statuses else PASS

    @property
    def exit_code(self) -> int:
        """0 all pass, 1 any fail, 2 warnings only (docs/operations.md)."""
        return EXIT_CODES[self.overall]

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.status == s) for s in (PASS, WARN, FAIL)}

    def sections(self) -> list[dict]:
        grouped: dict[str, list] = {}
        for finding in self.findings:
            grouped.setdefault(finding.section, []).append(finding)
        return [
            {"name": name, "title": SECTION_TITLES.get(name, name), "findings": items}
            for name, items in grouped.items()
        ]

    def as_json(self) -> dict:
        return {
            "made_at": self.made_at.isoformat(),
            "overall": self.overall,
            "counts": self.counts(),
            "findings": [
                {
                    "check": f.check,
                    "section": f.section,
                    "status": f.status,
                    "title": str(f.title),
                    "detail": str(f.detail),
                    "data": f.data,
                }
                for f in self.findings
            ],
        }


def make(*, workspace_id=None) -> Report:
    """The installation's report (the CLI), or one workspace's (the owner page, S8)."""
    return Report(findings=evidence.run_checks(workspace_id=workspace_id), made_at=timezone.now())
