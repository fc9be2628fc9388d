"""The report of an import: one CSV line per row of the file — its number,
outcome, reason, column and record id, never a value of the file (UTF-8
with a byte-order mark for Excel), streamed from the rows' outcomes."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from terabox_crm.imports import reasons, selectors
from terabox_crm.imports.models import Import, Outcome


def report_lines(item: Import):
    """The report as CSV lines: row number, outcome, reason, column, record id
    — nothing of the file's values (UTF-8 with a byte-order mark for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("Row"), _("Outcome"), _("Reason"), _("Column"), _("Record id")])
    yield "\ufeff" + buffer.getvalue()
    outcomes = dict(Outcome.choices)
    for number, outcome, code, field, object_id, suppressed in selectors.rows_of(item):
        buffer.seek(0)
        buffer.truncate()
        reason = reasons.reason(code) if code else ""
        if suppressed:
            reason = " ".join(filter(None, [reason, reasons.reason("suppressed")]))
        writer.writerow(
            [
                number,
                str(outcomes.get(outcome, outcome)),
                reason,
                reasons.field_label(item.resource, field),
                str(object_id or ""),
            ]
        )
        yield buffer.getvalue()
