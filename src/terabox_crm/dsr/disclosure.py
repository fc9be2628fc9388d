"""The engines' part of an access export: the audit events about the person.

Each event on the workspace's chain whose object is one of the person's
records is listed with its translated label and time; where the event kept
the person's own values (before/after, encrypted under their subject key),
those are shown too. The IP address and browser kept beside an event are the
staff member's, not the person's, and stay out of the export.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.audit.chain import DetailUnreadable, open_detail
from terabox_crm.audit.models import AuditEvent
from terabox_crm.dsr.registry import Section, register_collector

BATCH = 500


def _audit_rows(workspace_id, subject_ids):
    events = (
        AuditEvent.objects.filter(
            chain=str(workspace_id), object_id__in=[str(s) for s in subject_ids]
        )
        .select_related("detail")
        .order_by("seq")
    )
    for event in events.iterator(chunk_size=BATCH):
        values = ""
        detail = getattr(event, "detail", None)
        if detail is not None:
            try:
                opened = open_detail(detail, event=event) or {}
            except DetailUnreadable:
                opened = {}
            personal = opened.get("personal") or {}
            values = "; ".join(f"{k}: {v}" for k, v in sorted(personal.items()))
        yield {
            "at": event.created_at.isoformat(),
            "event": actions.label(event.action),
            "record": event.object_type,
            "values": values,
        }


def audit_events(workspace_id, subject_ids):
    yield Section(
        key="audit_events",
        label=_("Operations recorded on your data"),
        columns=[
            ("at", _("Time")),
            ("event", _("Operation")),
            ("record", _("Record")),
            ("values", _("Values recorded")),
        ],
        rows=_audit_rows(workspace_id, subject_ids),
    )


register_collector("audit", audit_events, order=900)
