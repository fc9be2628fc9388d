"""The engines' part of an access export: the privacy engine's records of
the person (consent history, restrictions, third-party receipts and
provision records; P4, P7, P9) and the audit events about them.

The privacy collector lives here, not in ``privacy/disclosure.py``: the
privacy app sits below this one in the engine and may not import its
registry; this app reads the privacy selectors instead.

Each event on the workspace's chain whose object is one of the person's
records is listed with its translated label and time; where the event kept
the person's own values (before/after, encrypted under their subject key),
those are shown too. The IP address and browser kept beside an event are the
staff member's, not the person's, and stay out of the export.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm.audit import actions
from terabox_crm.audit.chain import DetailUnreadable, open_detail
from terabox_crm.audit.models import AuditEvent
from terabox_crm.dsr.registry import Section, register_collector
from terabox_crm.privacy import selectors as privacy

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


def _date(value) -> str:
    return value.isoformat() if value else ""


def _categories(values) -> str:
    return ", ".join(str(v) for v in values or ())


def _consent_rows(workspace_id, subject_ids):
    with scope(workspace=workspace_id):
        events = privacy.consent_history(workspace_id, subject_ids).order_by(
            "occurred_at", "recorded_at"
        )
        for event in events.iterator(chunk_size=BATCH):
            yield {
                "at": _date(event.occurred_at),
                "purpose": event.purpose.name,
                "event": event.get_kind_display(),
                "channel": event.get_channel_display(),
                "policy_version": event.policy_version.number if event.policy_version else "",
                "evidence": event.evidence,
            }


def _restriction_rows(workspace_id, subject_ids):
    with scope(workspace=workspace_id):
        rows = privacy.restrictions_for(workspace_id, subject_ids).order_by("set_at")
        for row in rows.iterator(chunk_size=BATCH):
            yield {
                "set_at": _date(row.set_at),
                "reason": row.reason,
                "requested_by": row.requested_by,
                "lifted_at": _date(row.lifted_at),
                "lift_reason": row.lift_reason,
            }


def _receipt_rows(workspace_id, subject_ids):
    with scope(workspace=workspace_id):
        rows = privacy.receipts_for(workspace_id, subject_ids).order_by("received_on", "pk")
        for row in rows.iterator(chunk_size=BATCH):
            yield {
                "received_on": _date(row.received_on),
                "provider": row.provider,
                "categories": _categories(row.categories),
                "obtained_how": row.obtained_how,
                "consent_by": row.consent_by,
                "consent_at": _date(row.consent_at),
                "consent_evidence": row.consent_evidence,
            }


def _provision_rows(workspace_id, subject_ids):
    with scope(workspace=workspace_id):
        rows = privacy.provision_records_for(workspace_id, subject_ids).order_by("provided_at")
        for row in rows.iterator(chunk_size=BATCH):
            yield {
                "provided_at": _date(row.provided_at),
                "recipient": row.recipient,
                "categories": _categories(row.categories),
                "channel": row.get_channel_display(),
            }


def privacy_records(workspace_id, subject_ids):
    """What the privacy engine holds on the person (P4, P7)."""
    yield Section(
        key="consent_history",
        label=_("Your consents and withdrawals"),
        columns=[
            ("at", _("Time")),
            ("purpose", _("Purpose")),
            ("event", _("Consent or withdrawal")),
            ("channel", _("How you told us")),
            ("policy_version", _("Privacy policy version")),
            ("evidence", _("Evidence")),
        ],
        rows=_consent_rows(workspace_id, subject_ids),
    )
    yield Section(
        key="restrictions",
        label=_("Restrictions of the use of your data"),
        columns=[
            ("set_at", _("Restricted on")),
            ("reason", _("Reason")),
            ("requested_by", _("Asked by")),
            ("lifted_at", _("Lifted on")),
            ("lift_reason", _("Reason for lifting")),
        ],
        rows=_restriction_rows(workspace_id, subject_ids),
    )
    yield Section(
        key="third_party_receipts",
        label=_("Your data received from third parties"),
        columns=[
            ("received_on", _("Received on")),
            ("provider", _("Provider")),
            ("categories", _("Data categories")),
            ("obtained_how", _("How the provider obtained it")),
            ("consent_by", _("Consent to the sharing given by")),
            ("consent_at", _("Consent given on")),
            ("consent_evidence", _("Consent evidence")),
        ],
        rows=_receipt_rows(workspace_id, subject_ids),
    )
    yield Section(
        key="provision_records",
        label=_("Your data provided to third parties"),
        columns=[
            ("provided_at", _("Provided on")),
            ("recipient", _("Recipient")),
            ("categories", _("Data categories")),
            ("channel", _("How it was provided")),
        ],
        rows=_provision_rows(workspace_id, subject_ids),
    )


register_collector("privacy", privacy_records, order=800)
register_collector("audit", audit_events, order=900)
