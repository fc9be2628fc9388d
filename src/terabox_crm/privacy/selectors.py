"""Reads for the data-inventory page and API (P1): the declared personal
fields with human labels in the reader's language, grouped by category."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext

from terabox_crm import inventory


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
