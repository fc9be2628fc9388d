"""Reads of the privacy engine (P1, P2, P4, P7), set-based: the data
inventory with labels in the reader's language; the current consent
state and restriction of many people in a few queries, the ledger of one
person, the receipt and provision records (also for the access export)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.utils.text import capfirst
from django.utils.translation import gettext

from terabox_crm import inventory
from terabox_crm.privacy import gate, subjects
from terabox_crm.privacy.models import (
    ConsentEvent,
    ConsentKind,
    ProvisionRecord,
    ProvisionSubject,
    Purpose,
    Restriction,
    ThirdPartyReceipt,
)


def _pk(value):
    return getattr(value, "pk", value)


def purposes(workspace) -> list[Purpose]:
    return list(Purpose.objects.filter(workspace_id=_pk(workspace)))


@dataclass(frozen=True)
class ConsentState:
    purpose: Purpose
    state: str  # "granted", "withdrawn", "none", or "not_needed" (not a consent basis)
    at: datetime | None = None


def consent_states(workspace, subject_id) -> list[ConsentState]:
    """One person's current state for every purpose of the workspace, derived
    from the ledger (the latest event per purpose, chosen by the database)."""
    subject = subjects.as_uuids([subject_id])[0]
    rows = []
    latest = latest_by_purpose(workspace, subject)
    for purpose in purposes(workspace):
        kind, at = latest.get(purpose.pk, (None, None))
        if kind == ConsentKind.GRANT:
            state = "granted"
        elif kind == ConsentKind.WITHDRAW:
            state = "withdrawn"
        else:
            state = "none" if purpose.needs_consent else "not_needed"
        rows.append(ConsentState(purpose, state, at))
    return rows


def latest_by_purpose(workspace, subject_id) -> dict:
    rows = (
        ConsentEvent.objects.filter(workspace_id=_pk(workspace), subject_id=subject_id)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("purpose_id")],
                order_by=[F("occurred_at").desc(), F("recorded_at").desc()],
            )
        )
        .filter(rank=1)
        .values_list("purpose_id", "kind", "occurred_at")
    )
    return {purpose_id: (kind, at) for purpose_id, kind, at in rows}


def consent_history(workspace, subject_ids: Iterable, *, limit: int | None = None):
    """The ledger of these people, newest first, with purpose, actor and file."""
    queryset = (
        ConsentEvent.objects.filter(
            workspace_id=_pk(workspace), subject_id__in=subjects.as_uuids(subject_ids)
        )
        .select_related("purpose", "actor", "file", "policy_version")
        .order_by("-occurred_at", "-recorded_at")
    )
    return queryset[:limit] if limit else queryset


def active_restriction(workspace, subject_id) -> Restriction | None:
    return Restriction.objects.filter(
        workspace_id=_pk(workspace), subject_id=subject_id, lifted_at__isnull=True
    ).first()


def restricted_ids(workspace, subject_ids: Iterable) -> set[uuid.UUID]:
    """Which of ``subject_ids`` are under restriction of use (for marking lists)."""
    return set(gate.restricted_among(_pk(workspace), subjects.as_uuids(subject_ids)))


def is_restricted(workspace, subject_id) -> bool:
    return bool(restricted_ids(workspace, [subject_id]))


def restrictions_for(workspace, subject_ids: Iterable):
    return Restriction.objects.filter(
        workspace_id=_pk(workspace), subject_id__in=subjects.as_uuids(subject_ids)
    ).select_related("set_by", "lifted_by")


def receipts_for(workspace, subject_ids: Iterable):
    """Third-party receipt records of these people (P4; the access export)."""
    return ThirdPartyReceipt.objects.filter(
        workspace_id=_pk(workspace), subject_id__in=subjects.as_uuids(subject_ids)
    )


def provision_records_for(workspace, subject_ids: Iterable):
    """Provision records naming any of these people (P4; the access export),
    each once, newest first."""
    ids = subjects.as_uuids(subject_ids)
    named = ProvisionSubject.objects.filter(workspace_id=_pk(workspace), subject_id__in=ids).values(
        "record_id"
    )
    return ProvisionRecord.objects.filter(
        workspace_id=_pk(workspace), pk__in=named
    ).prefetch_related(
        Prefetch("subjects", queryset=ProvisionSubject.objects.filter(subject_id__in=ids))
    )


def receipts(workspace):
    """Every receipt record of the workspace, newest first (auditors' list)."""
    return ThirdPartyReceipt.objects.filter(workspace_id=_pk(workspace)).select_related(
        "recorded_by"
    )


def provisions(workspace):
    """Every provision record of the workspace, newest first (auditors' list)."""
    return ProvisionRecord.objects.filter(workspace_id=_pk(workspace))


# --- The data inventory (P1) ---------------------------------------------------


def _label(name) -> str:
    # str() renders a lazy name in the active language; gettext() then
    # translates names their app left as plain strings (privacy/labels.py).
    return capfirst(gettext(str(name)))


@dataclass(frozen=True)
class InventoryRow:
    model: str
    model_label: str
    field: str
    field_label: str
    category: str
    category_label: str
    purposes: tuple[str, ...]
    purpose_labels: tuple[str, ...]
    retention: str
    retention_label: str
    retention_days: int | None
    encrypted: bool
    note: str

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "model_label": self.model_label,
            "field": self.field,
            "field_label": self.field_label,
            "category": self.category,
            "category_label": self.category_label,
            "purposes": [
                {"code": code, "label": label}
                for code, label in zip(self.purposes, self.purpose_labels, strict=True)
            ],
            "retention": {
                "code": self.retention,
                "label": self.retention_label,
                "days": self.retention_days,
            },
            "encrypted": self.encrypted,
            "note": self.note,
        }


@dataclass
class CategoryGroup:
    code: str
    label: str
    rows: list[InventoryRow] = field(default_factory=list)


def inventory_rows() -> list[InventoryRow]:
    """Every declared personal field, by model label then field name."""
    rows = []
    for item in inventory.personal_fields():
        model = apps.get_model(item.model)
        model_field = model._meta.get_field(item.field)
        retention = inventory.RETENTION[item.retention]
        rows.append(
            InventoryRow(
                model=item.model,
                model_label=_label(model._meta.verbose_name),
                field=item.field,
                field_label=_label(getattr(model_field, "verbose_name", item.field)),
                category=str(item.category),
                category_label=str(inventory.Category(item.category).label),
                purposes=tuple(str(code) for code in item.purposes),
                purpose_labels=tuple(str(inventory.Purpose(code).label) for code in item.purposes),
                retention=retention.code,
                retention_label=str(retention.label),
                retention_days=retention.days,
                encrypted=item.encrypted,
                note=capfirst(str(item.note)) if item.note else "",
            )
        )
    return rows


def inventory_by_category() -> list[CategoryGroup]:
    """The rows grouped in the order categories are declared; empty ones omitted."""
    groups = {code: CategoryGroup(code, str(label)) for code, label in inventory.Category.choices}
    for row in inventory_rows():
        groups[row.category].rows.append(row)
    return [group for group in groups.values() if group.rows]
