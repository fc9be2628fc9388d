"""The owners' security report page (S8, S10): every registered check's
findings with a pass/warn/fail mark (a symbol and a word, never colour
alone). Counts only: the page names no person. It is the workspace's report:
its members, tokens, requests and incidents; the installation's own checks
(TLS, keys, backups, the audit chain) show their mark only (S8)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from terabox_crm.core.decorators import permission_required
from terabox_crm.core.evidence import FAIL, PASS, WARN
from terabox_crm.securityreport import report as reports


@permission_required("security.report")
@require_safe
def report(request):
    made = reports.make(workspace_id=request.membership.workspace_id)
    sections = [
        {
            "title": section["title"],
            "rows": [
                {
                    "finding": finding,
                    "mark": reports.STATUS_MARKS[finding.status],
                    "label": reports.STATUS_LABELS[finding.status],
                    "badge": BADGES[finding.status],
                }
                for finding in section["findings"]
            ],
        }
        for section in made.sections()
    ]
    counts = made.counts()
    return render(
        request,
        "securityreport/report.html",
        {
            "report": made,
            "sections": sections,
            "passed": counts["pass"],
            "warned": counts["warn"],
            "failed": counts["fail"],
            "overall_label": reports.STATUS_LABELS[made.overall],
            "overall_mark": reports.STATUS_MARKS[made.overall],
            "overall_badge": BADGES[made.overall],
        },
    )


BADGES = {PASS: "badge-ok", WARN: "badge-warn", FAIL: "badge-danger"}
