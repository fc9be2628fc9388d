"""The record of processing (P1, P2, P5, S10): per purpose, the categories of
personal data used, how long they are kept, who receives them and which
sub-processors handle them — what an auditor asks for first.

It is built now from the data inventory (``terabox_crm.inventory``) and the
operator's settings (the sub-processor register), and is made to be fed by
the privacy engine as it grows. Three sources can be plugged in from an app's
``AppConfig.ready()``:

* ``set_purpose_source(fn)`` — ``fn(workspace) -> list[PurposeEntry]``: the
  workspace's purposes with their lawful basis (the purpose registry, P2).
  Default: the inventory's purposes, basis not recorded; the privacy app
  sets its purpose registry (``privacy/processing.py``);
* ``set_retention_source(fn)`` — ``fn(workspace) -> dict[category, list[str]]``:
  the retention rules in force per data category (the retention engine, P5).
  Default: the inventory's retention rule of each field;
* ``register_recipient_source(fn)`` — ``fn(workspace) -> list[RecipientEntry]``:
  who else receives data for which purposes (webhook endpoints marked as a
  third party, exports to a recipient: the provision records, P4). Added to
  the built-in recipients (the workspace's members). The privacy app adds
  the third parties of its provision records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext, pgettext

from terabox_crm import inventory
from terabox_crm.policies import config


@dataclass(frozen=True)
class PurposeEntry:
    code: str
    name: str
    basis: str = ""  # the lawful basis, translated; "" when not recorded
    description: str = ""
    # What the basis means for the people, in a sentence (translated); ""
    # when not recorded.
    basis_note: str = ""
    consent_needed: bool | None = None  # None: not recorded


@dataclass(frozen=True)
class RecipientEntry:
    name: str
    purposes: tuple[str, ...]  # purpose codes; () for every purpose
    third_party: bool = False


@dataclass
class ProcessingRow:
    purpose: PurposeEntry
    categories: list[str] = field(default_factory=list)
    retention: list[tuple[str, str]] = field(default_factory=list)  # (category, rules)
    recipients: list[str] = field(default_factory=list)
    subprocessors: list[str] = field(default_factory=list)


PurposeSource = Callable[[object], list[PurposeEntry]]
RetentionSource = Callable[[object], dict[str, list[str]]]
RecipientSource = Callable[[object], list[RecipientEntry]]


def _inventory_purposes(workspace) -> list[PurposeEntry]:
    return [PurposeEntry(code=p.value, name=str(p.label)) for p in inventory.Purpose]


def _inventory_retention(workspace) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for item in inventory.personal_fields():
        label = str(inventory.RETENTION[item.retention].label)
        labels = rules.setdefault(item.category, [])
        if label not in labels:
            labels.append(label)
    return rules


_sources: dict[str, object] = {"purposes": _inventory_purposes, "retention": _inventory_retention}
_recipient_sources: list[RecipientSource] = []


def set_purpose_source(fn: PurposeSource) -> None:
    _sources["purposes"] = fn


def set_retention_source(fn: RetentionSource) -> None:
    _sources["retention"] = fn


def register_recipient_source(fn: RecipientSource) -> None:
    if fn not in _recipient_sources:
        _recipient_sources.append(fn)


def _categories_by_purpose() -> dict[str, list[str]]:
    by_purpose: dict[str, list[str]] = {}
    for item in inventory.personal_fields():
        for purpose in item.purposes:
            categories = by_purpose.setdefault(purpose, [])
            if item.category not in categories:
                categories.append(item.category)
    order = [c.value for c in inventory.Category]
    return {p: sorted(cs, key=order.index) for p, cs in by_purpose.items()}


def record_of_processing(workspace, language: str) -> list[ProcessingRow]:
    """One row per purpose of ``workspace``, in the active language."""
    purposes = _sources["purposes"](workspace)
    retention = _sources["retention"](workspace)
    categories = _categories_by_purpose()
    members = RecipientEntry(
        name=gettext("Members of the workspace, by role and record visibility"), purposes=()
    )
    recipients = [members]
    for source in _recipient_sources:
        recipients.extend(source(workspace))
    subprocessors = [
        " — ".join(part for part in (entry.name, entry.service, entry.location) if part)
        for entry in config.subprocessors(language)
    ]
    separator = pgettext("list separator", ", ")
    rows = []
    for purpose in purposes:
        codes = categories.get(purpose.code, [])
        rows.append(
            ProcessingRow(
                purpose=purpose,
                categories=[str(inventory.Category(code).label) for code in codes],
                retention=[
                    (str(inventory.Category(code).label), separator.join(retention[code]))
                    for code in codes
                    if retention.get(code)
                ],
                recipients=[
                    (
                        gettext("%(name)s (third party)") % {"name": r.name}
                        if r.third_party
                        else r.name
                    )
                    for r in recipients
                    if not r.purposes or purpose.code in r.purposes
                ],
                subprocessors=subprocessors if codes else [],
            )
        )
    return rows


def _cell(value: str) -> str:
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def as_csv(rows: list[ProcessingRow]) -> str:
    """The record as CSV, headers in the active language; lists joined by
    line breaks inside a cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            gettext("Purpose"),
            gettext("Lawful basis"),
            gettext("Data categories"),
            gettext("Retention"),
            gettext("Recipients"),
            gettext("Sub-processors"),
        ]
    )
    separator = "\n"
    for row in rows:
        writer.writerow(
            [
                _cell(row.purpose.name),
                _cell(row.purpose.basis or pgettext("lawful basis", "Not recorded")),
                _cell(separator.join(row.categories)),
                _cell(separator.join(f"{category}: {rules}" for category, rules in row.retention)),
                _cell(separator.join(row.recipients)),
                _cell(separator.join(row.subprocessors)),
            ]
        )
    return out.getvalue()
