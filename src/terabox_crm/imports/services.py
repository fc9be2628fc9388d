"""Writes of imports (SPEC §2, §5, P4, P8).

An import goes: uploaded (``import_upload``: the policy, the file sealed,
its header row read and mapped automatically) → started with the member's
mapping and options (``import_start``), as a dry run or for real → run by a
job (``import_run``) → checked (a dry run: the file stays for the real run)
or done (the file and its key destroyed). An upload never run is destroyed
a day later (``imports_expire``, hourly; the retention target
``imports.files`` catches any the job missed).

Every row goes through the same services as the contact and company forms
and the API (``contacts.services``): validation, encryption, blind indexes,
search terms, the audit event, the third-party receipt record (P4) and the
suppression flag of an erased person's address (P8) are theirs, so an
import follows the same rules as every other channel. A row is applied
fully or not at all (a savepoint of its own, inside one transaction per
``BATCH`` rows) and its outcome is kept as a number, an outcome, a reason
code and the field concerned — never a value of the file.

A dry run asks the same questions without writing: ``contact_validate``
(what ``contact_create`` would refuse), the receipt check, the duplicates by
blind index, the suppression list; it writes only the rows' outcomes.

What is never deleted here: the ``Import`` row, its rows' outcomes and the
audit events (the retention targets blank or delete them later).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.contacts import search
from terabox_crm.contacts import services as contacts
from terabox_crm.contacts.models import Contact, Stage
from terabox_crm.contacts.models import Source as ContactSource
from terabox_crm.contacts.selectors import company_is_named, company_matches, preload_keys
from terabox_crm.core import bus, guards, policy
from terabox_crm.core.models import Membership
from terabox_crm.crypto import normalise, search_index
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.dsr import export as sealed
from terabox_crm.erasure import selectors as erasure_selectors
from terabox_crm.imports import columns, storage, tasks
from terabox_crm.imports.models import (
    ACTIVE,
    BATCH,
    ImportRow,
    OnDuplicate,
    Outcome,
    Resource,
    Source,
    Status,
)
from terabox_crm.imports.models import Import as ImportJob
from terabox_crm.inventory import Category
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.privacy import services as privacy
from terabox_crm.refusals import Refusal, recorded_after_rollback
from terabox_crm.refusals import record as record_refusal

logger = logging.getLogger(__name__)

FILE_KEPT_FOR = timedelta(days=1)
NAME_MAX = 200
RECEIPT_FIELDS = ("provider", "obtained_how", "consent_by", "consent_at", "consent_evidence")
# The categories a third party provides in a contact import (P4).
CATEGORIES = (Category.IDENTITY, Category.CONTACT)
ADD_PERMISSION = {Resource.CONTACTS: "contacts.add", Resource.COMPANIES: "companies.add"}
CHANGE_PERMISSION = {Resource.CONTACTS: "contacts.change", Resource.COMPANIES: "companies.change"}


def _require_import(membership: Membership, resource: str) -> None:
    guards.require(membership, "imports.create")
    guards.require(membership, ADD_PERMISSION[Resource(resource)])


# --- Uploading --------------------------------------------------------------------------


def too_large_refusal(limit: int) -> Refusal:
    return Refusal(
        _("The file is larger than %(limit)s MB. Split it into smaller files.")
        % {"limit": f"{limit // (1024 * 1024):,}"},
        code="too_large",
        field="file",
        status=413,
    )


@recorded_after_rollback
@transaction.atomic
def import_upload(
    *, membership: Membership, resource: str, upload, channel: str = "web", limit: int
) -> ImportJob:
    """Keep an uploaded CSV or XLSX file of contacts or companies, sealed,
    with its header row and the automatic mapping of its columns.

    Refused, with nothing kept: another resource, no file, a file over
    ``limit`` bytes, a file that is neither CSV nor XLSX, a CSV neither
    UTF-8 nor Shift_JIS, a file without a header row."""
    if resource not in Resource.values:
        raise Refusal(
            _("Choose what the file holds: contacts or companies."),
            code="invalid_resource",
            field="resource",
        )
    _require_import(membership, resource)
    if upload is None:
        raise Refusal(_("Choose a file to import."), code="no_file", field="file")
    if upload.size > limit:
        raise too_large_refusal(limit)
    item = ImportJob(
        workspace_id=membership.workspace_id,
        requested_by_id=membership.user_id,
        channel=channel,
        resource=resource,
    )
    stored = storage.store(item.pk, upload)
    try:
        item.key_id = stored.key_id
        item.size = stored.size
        item.sha256 = stored.sha256
        item.file_format = stored.file_format
        item.encoding = stored.encoding
        item.file_name = (getattr(upload, "name", "") or "")[:NAME_MAX]
        headers, line = storage.head(item)
        item.headers = storage.headers_json(headers)
        item.mapping = columns.auto_map(resource, headers)
        item.total = max(0, stored.lines - line)
        with scope(workspace=membership.workspace_id):
            item.save(force_insert=True)
        audit.record(
            "imports.import.uploaded",
            actor=membership.user_id,
            workspace=membership.workspace_id,
            obj=item,
            payload={
                "resource": resource,
                "format": item.file_format,
                "encoding": item.encoding,
                "bytes": item.size,
                "sha256": item.sha256,
                "columns": len(headers),
                "channel": channel,
            },
        )
    except BaseException:
        storage.destroy(item.pk, stored.key_id)
        raise
    return item


# --- Starting a run ---------------------------------------------------------------------


def _locked(membership: Membership, import_id, *, action: str) -> ImportJob:
    """The import, locked, if ``membership`` may see it; else a 404, recorded."""
    with scope(workspace=membership.workspace_id):
        item = (
            ImportJob.objects.select_for_update()
            .filter(pk=import_id, workspace_id=membership.workspace_id)
            .first()
        )
    if item is None or not policy.can(membership, "imports.view", item):
        raise guards.refusal(
            membership, action, message=_("Not found."), code="not_found", status=404
        )
    return item


def clean_mapping(resource: str, headers: list[str], mapping) -> list[str]:
    """One field key per column from a list (by position) or an object
    (``{"column name": "field key"}``); unknown columns and fields, and a
    field mapped twice, are refused."""
    keys = columns.keys_of(resource)
    if isinstance(mapping, dict):
        unknown = [name for name in mapping if name not in headers]
        if unknown:
            raise Refusal(
                _("Unknown column: %(names)s.") % {"names": ", ".join(map(str, unknown[:5]))},
                code="unknown_column",
                field="mapping",
            )
        by_name = {str(name): str(key or "") for name, key in mapping.items()}
        chosen = [by_name.get(header, columns.IGNORE) for header in headers]
        # A header repeated in the file: the first column of that name only.
        for position, header in enumerate(headers):
            if header in headers[:position]:
                chosen[position] = columns.IGNORE
    elif isinstance(mapping, list | tuple):
        chosen = [str(key or "") for key in mapping][: len(headers)]
        chosen += [columns.IGNORE] * (len(headers) - len(chosen))
    else:
        raise Refusal(
            _("Give the mapping as an object of column names and fields."),
            code="invalid_mapping",
            field="mapping",
        )
    unknown_fields = sorted({key for key in chosen if key and key not in keys})
    if unknown_fields:
        raise Refusal(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown_fields[:5])},
            code="unknown_field",
            field="mapping",
        )
    used = [key for key in chosen if key]
    twice = sorted({key for key in used if used.count(key) > 1})
    if twice:
        raise Refusal(
            _("Each field takes one column; mapped twice: %(names)s.")
            % {"names": ", ".join(str(columns.label_of(resource, key)) for key in twice)},
            code="mapped_twice",
            field="mapping",
        )
    needed = {"family_name", "given_name", "full_name"} if resource == "contacts" else {"name"}
    if not needed & set(used):
        raise Refusal(
            _("Map a column to the name: family name, given name or full name.")
            if resource == "contacts"
            else _("Map a column to the company name."),
            code="name_not_mapped",
            field="mapping",
        )
    return chosen


def _clean_receipt(source: str, receipt: dict | None) -> dict:
    """The import-level part of a third-party receipt (P4): who provided the
    file and how they obtained the data are required here; who consented,
    when and the evidence may come from here or from mapped columns (each
    row without them is refused with its reason)."""
    if source != Source.THIRD_PARTY:
        return {}
    given = {name: str((receipt or {}).get(name) or "").strip() for name in RECEIPT_FIELDS}
    if not given["provider"]:
        raise Refusal(
            _("Name the third party that provided the data."), code="required", field="provider"
        )
    if not given["obtained_how"]:
        raise Refusal(
            _("Say how the third party obtained the data."),
            code="required",
            field="obtained_how",
        )
    if len(given["provider"]) > NAME_MAX or len(given["consent_by"]) > NAME_MAX:
        raise Refusal(
            _("Name the third party in at most 200 characters."),
            code="too_long",
            field="provider",
        )
    if given["consent_at"] and _date(given["consent_at"]) is None:
        raise Refusal(_("Enter the date of the consent."), code="invalid_date", field="consent_at")
    return given


@recorded_after_rollback
@transaction.atomic
def import_start(
    *,
    membership: Membership,
    import_id,
    mapping=None,
    source: str = Source.IMPORT,
    on_duplicate: str = OnDuplicate.SKIP,
    receipt: dict | None = None,
    dry_run: bool = True,
) -> ImportJob:
    """Set the mapping and options of an uploaded (or dry-run) import and
    queue its run: a dry run, or the real one."""
    item = _locked(membership, import_id, action="imports.create")
    _require_import(membership, item.resource)
    if not item.is_configurable:
        raise Refusal(
            _("This import has run already: upload the file again to import it again."),
            code="import_state",
            status=409,
        )
    headers = storage.headers_of(item)
    chosen = clean_mapping(item.resource, headers, item.mapping if mapping is None else mapping)
    if source not in Source.values:
        raise Refusal(_("Choose a source from the list."), code="invalid_source", field="source")
    if on_duplicate not in OnDuplicate.values:
        raise Refusal(
            _("Choose what to do with a record that exists."),
            code="invalid_choice",
            field="on_duplicate",
        )
    if on_duplicate == OnDuplicate.UPDATE:
        guards.require(membership, CHANGE_PERMISSION[Resource(item.resource)])
    given = _clean_receipt(source, receipt) if item.resource == Resource.CONTACTS else {}
    item.mapping = chosen
    item.source = source if item.resource == Resource.CONTACTS else Source.IMPORT
    item.on_duplicate = on_duplicate
    item.receipt = json.dumps(given, ensure_ascii=False) if given else ""
    item.dry_run = bool(dry_run)
    item.status = Status.QUEUED
    item.progress = item.created = item.updated = item.skipped = item.errors = 0
    item.flagged = 0
    item.failure = ""
    item.started_at = item.finished_at = None
    item.touched_at = timezone.now()
    with scope(workspace=item.workspace_id):
        ImportRow.objects.filter(job=item).delete()
        item.save()
    audit.record(
        "imports.import.started",
        actor=membership.user_id,
        workspace=item.workspace_id,
        obj=item,
        payload={
            "dry_run": item.dry_run,
            "resource": item.resource,
            "fields": [key for key in chosen if key],
            "source": item.source,
            "on_duplicate": on_duplicate,
            "third_party": item.source == Source.THIRD_PARTY,
        },
    )
    import_id = str(item.pk)
    transaction.on_commit(lambda: tasks.run_import(import_id))
    return item


# --- Running (a job) --------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def _date(text: str):
    """A date written 2026-04-01, 2026/4/1 or 2026年4月1日 (as an ISO date), else None."""
    found = _DATE.match(unicodedata.normalize("NFKC", text or "").strip())
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


_stage_names: dict[str, str] = {}


def _stage(text: str) -> str:
    """A lifecycle stage from its code or its name in Japanese or English."""
    if not _stage_names:
        for code, label in Stage.choices:
            _stage_names[columns.fold(code)] = code
            for language in ("ja", "en"):
                with translation.override(language):
                    _stage_names[columns.fold(str(label))] = code
    if not text:
        return Stage.LEAD
    return _stage_names.get(columns.fold(text), text)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _split_name(full: str) -> tuple[str, str]:
    """Family and given name of a full name: Japanese order for a name in
    Japanese script (family first), Latin order otherwise (given first)."""
    parts = (full or "").replace("\u3000", " ").split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    if _CJK.search(parts[0]):
        return parts[0], " ".join(parts[1:])
    return " ".join(parts[1:]), parts[0]


def _split(text: str, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, text or "") if part.strip()]


def _safe(normaliser, value: str) -> str:
    try:
        return normaliser(value)
    except ValueError:
        return ""


def _digest(text: str) -> bytes:
    """The key of the within-file duplicate check: 12 bytes in memory per
    row, not the address itself."""
    return hashlib.blake2b(text.encode(), digest_size=12).digest()


class Row:
    __slots__ = ("code", "field", "number", "object_id", "outcome", "suppressed")

    def __init__(self, number, outcome, code="", field="", object_id=None, suppressed=False):
        self.number = number
        self.outcome = outcome
        self.code = code
        self.field = field
        self.object_id = object_id
        self.suppressed = suppressed


FIELD_OF_ERROR = {"emails": "email", "phones": "phone", "company_id": "company"}


def _invalid(number, error: ValidationError, object_id=None) -> Row:
    fields = list(getattr(error, "message_dict", {}) or {"": []})
    field = FIELD_OF_ERROR.get(fields[0], fields[0])
    if field.startswith("receipt_"):
        return Row(number, Outcome.ERROR, "consent_reference_required", field[8:], object_id)
    return Row(number, Outcome.ERROR, "invalid", field[:40], object_id)


class Runner:
    """One run of one import over its file, batch by batch."""

    def __init__(self, item: ImportJob, membership: Membership) -> None:
        self.item = item
        self.membership = membership
        self.dry = item.dry_run
        self.mapping = list(item.mapping)
        self.third_party = item.source == Source.THIRD_PARTY
        self.receipt = storage.stored_json(item.receipt, {})
        self.seen: set[bytes] = set()
        self.companies: dict[str, object] = {}
        # Companies created by the row being applied: remembered once its
        # savepoint is released, forgotten if it rolls back.
        self.pending: dict[str, object] = {}
        self.counts: Counter = Counter()
        self.read = 0

    # Reading

    def run(self) -> None:
        with storage.rows(self.item) as (found, declared):
            header_line = None
            batch: list[tuple[int, dict]] = []
            for number, row in enumerate(found, start=1):
                if header_line is None:
                    if any(row):
                        header_line = number
                        if declared:
                            ImportJob.objects.filter(pk=self.item.pk).update(
                                total=max(0, declared - number)
                            )
                            self.item.total = max(0, declared - number)
                    continue
                if not any(row):
                    continue
                values = {
                    key: row[position]
                    for position, key in enumerate(self.mapping)
                    if key and position < len(row) and row[position]
                }
                batch.append((number, values))
                if len(batch) >= BATCH:
                    self._batch(batch)
                    batch = []
            if batch:
                self._batch(batch)

    def _batch(self, batch: list[tuple[int, dict]]) -> None:
        if self.item.resource == Resource.CONTACTS:
            decide = self._contact_row
            context = self._contact_context(batch)
        else:
            decide = self._company_row
            context = {}
        if self.dry:
            rows = []
            for number, values in batch:
                try:
                    rows.append(decide(number, values, context))
                except ValidationError as error:
                    rows.append(self._refused(number, error))
            self._save(rows, len(batch))
            return
        # The batch's bus events go out together once it commits (a row whose
        # savepoint rolled back announces nothing): one set-based pass of the
        # webhooks over up to ``BATCH`` contacts, not one per row.
        with transaction.atomic(), bus.collecting():
            rows = []
            for number, values in batch:
                self.pending = {}
                try:
                    with transaction.atomic():
                        rows.append(decide(number, values, context))
                except ValidationError as error:
                    # The service recorded its security events inside the
                    # savepoint that just rolled back: record them again.
                    error.recorded = False
                    record_refusal(error)
                    rows.append(self._refused(number, error))
                else:
                    self.companies.update(self.pending)
            self._save(rows, len(batch))

    def _refused(self, number, error: ValidationError) -> Row:
        if isinstance(error, Refusal) and error.status in (403, 404):
            return Row(number, Outcome.ERROR, "permission_denied")
        if isinstance(error, Refusal):
            return Row(number, Outcome.ERROR, error.code[:40], (error.field or "")[:40])
        return _invalid(number, error)

    def _save(self, rows: list[Row], read: int) -> None:
        ImportRow.objects.bulk_create(
            ImportRow(
                workspace_id=self.item.workspace_id,
                job_id=self.item.pk,
                number=row.number,
                outcome=row.outcome,
                code=row.code,
                field=row.field,
                object_id=row.object_id,
                suppressed=row.suppressed,
            )
            for row in rows
        )
        for row in rows:
            self.counts[row.outcome] += 1
            self.counts["flagged"] += int(row.suppressed)
        self.read += read
        ImportJob.objects.filter(pk=self.item.pk).update(
            touched_at=timezone.now(),
            progress=self.read,
            created=self.counts[Outcome.CREATE],
            updated=self.counts[Outcome.UPDATE],
            skipped=self.counts[Outcome.SKIP],
            errors=self.counts[Outcome.ERROR],
            flagged=self.counts["flagged"],
        )

    # Contacts

    def _contact_context(self, batch) -> dict:
        """What a batch of contact rows needs, asked once: the contacts that
        hold its email addresses (blind index, then compared decrypted), the
        addresses of erased people among them (P8), who of the found is
        restricted (P7)."""
        ws = self.item.workspace_id
        emails: set[str] = set()
        phones: set[str] = set()
        for _number, values in batch:
            emails.update(
                value
                for value in (
                    _safe(normalise.email, e) for e in _split(values.get("email", ""), r"[;,\s]+")
                )
                if value
            )
            phones.update(
                value
                for value in (
                    _safe(normalise.phone, p) for p in _split(values.get("phone", ""), r"[;,/\n]+")
                )
                if value
            )
        existing: dict[str, Contact] = {}
        if emails:
            terms = {search_index.term(ws, search.CONTACT_EMAIL, email) for email in emails}
            ids = SearchTerm.objects.filter(
                workspace_id=ws, domain=search.CONTACT_EMAIL, term__in=list(terms)
            ).values_list("object_id", flat=True)
            found = Contact.objects.filter(workspace_id=ws, pk__in=list(ids)).prefetch_related(
                "emails", "phones", "tags"
            )
            for contact in found:
                for row in contact.emails.all():
                    value = _safe(normalise.email, row.value)
                    if value in emails:
                        existing.setdefault(value, contact)
        restricted = privacy_selectors.restricted_ids(
            ws, [contact.pk for contact in existing.values()]
        )
        suppressed = erasure_selectors.suppressed(ws, emails=emails, phones=phones)
        return {"existing": existing, "restricted": restricted, "suppressed": suppressed}

    def _contact_data(self, values: dict) -> contacts.ContactData:
        family, given = values.get("family_name", ""), values.get("given_name", "")
        if not family and not given and values.get("full_name"):
            family, given = _split_name(values["full_name"])
        emails = _split(values.get("email", ""), r"[;,\s]+")
        phones = _split(values.get("phone", ""), r"[;,/\n]+")
        return contacts.ContactData(
            family_name=family,
            given_name=given,
            family_name_kana=values.get("family_name_kana", ""),
            given_name_kana=values.get("given_name_kana", ""),
            job_title=values.get("job_title", ""),
            stage=_stage(values.get("stage", "")),
            notes=values.get("notes", ""),
            source=ContactSource.THIRD_PARTY
            if self.third_party
            else (
                ContactSource.DIRECT if self.item.source == Source.DIRECT else ContactSource.IMPORT
            ),
            source_detail=self.receipt.get("provider", "")[:NAME_MAX] if self.third_party else "",
            emails=[contacts.EmailIn(value=e, is_primary=i == 0) for i, e in enumerate(emails)],
            phones=[contacts.PhoneIn(value=p, is_primary=i == 0) for i, p in enumerate(phones)],
        )

    def _row_receipt(self, values: dict) -> dict:
        """The receipt of one row: the import's, each consent field taken
        from the row's column where it has one."""
        receipt = {name: self.receipt.get(name, "") for name in RECEIPT_FIELDS}
        for name in columns.CONSENT_KEYS:
            if values.get(name):
                receipt[name] = values[name]
        if receipt["consent_at"]:
            receipt["consent_at"] = _date(receipt["consent_at"]) or receipt["consent_at"]
        receipt["categories"] = [str(category) for category in CATEGORIES]
        return receipt

    def _company(self, name: str):
        """The id of the company named ``name`` (one the importer may read,
        named exactly so), else a new one — in a dry run, None."""
        key = columns.fold(name)
        if key in self.companies:
            return self.companies[key]
        found = next(
            (
                c
                for c in company_matches(self.membership, name, limit=20)
                if company_is_named(c, name)
            ),
            None,
        )
        if found is not None:
            self.companies[key] = found.pk
            return found.pk
        if self.dry:
            return None
        created = contacts.company_create(
            membership=self.membership, data=contacts.CompanyData(name=name[:NAME_MAX])
        )
        self.pending[key] = created.pk
        return created.pk

    def _contact_row(self, number: int, values: dict, context: dict) -> Row:
        data = self._contact_data(values)
        email = _safe(normalise.email, data.emails[0].value) if data.emails else ""
        key = _digest(email) if email else None
        if key is not None and key in self.seen:
            return Row(number, Outcome.SKIP, "duplicate_in_file", "email")
        receipt = None
        if self.third_party:
            receipt = self._row_receipt(values)
            try:
                privacy.receipt_check(**receipt)
            except Refusal as refusal:
                code = (
                    refusal.code
                    if refusal.code in ("invalid_date", "future_date")
                    else ("consent_reference_required")
                )
                return Row(number, Outcome.ERROR, code, refusal.field or "")
            data.receipt = receipt
        existing = context["existing"].get(email) if email else None
        if existing is not None:
            row = self._existing_contact(number, existing, data, values, receipt, context)
        else:
            row = self._new_contact(number, data, values, context)
        if key is not None and row.outcome != Outcome.ERROR:
            self.seen.add(key)
        return row

    def _new_contact(self, number: int, data, values: dict, context: dict) -> Row:
        company_name = values.get("company", "")
        if company_name:
            data.company_id = self._company(company_name)
        given = {_safe(normalise.email, row.value) for row in data.emails} | {
            _safe(normalise.phone, row.value) for row in data.phones
        }
        suppressed = bool(given & context["suppressed"])
        if self.dry:
            try:
                contacts.contact_validate(membership=self.membership, data=replace(data))
            except ValidationError as error:
                return self._refused(number, error)
            return Row(number, Outcome.CREATE, suppressed=suppressed)
        contact = contacts.contact_create(membership=self.membership, data=data)
        return Row(
            number,
            Outcome.CREATE,
            object_id=contact.pk,
            suppressed=bool(getattr(contact, "suppressed", None)) or suppressed,
        )

    def _existing_contact(self, number, existing: Contact, data, values, receipt, context) -> Row:
        if self.item.on_duplicate == OnDuplicate.SKIP:
            return Row(number, Outcome.SKIP, "duplicate_existing", "email", existing.pk)
        if not policy.can(self.membership, "contacts.change", existing):
            code = "restricted" if existing.pk in context["restricted"] else "permission_denied"
            return Row(number, Outcome.ERROR, code, "", existing.pk)
        merged = contacts.contact_data_of(existing)
        for name in contacts.CONTACT_PERSONAL:
            if name != "source_detail" and getattr(data, name):
                setattr(merged, name, getattr(data, name))
        if values.get("stage"):
            merged.stage = data.stage
        known_emails = {_safe(normalise.email, row.value) for row in merged.emails}
        merged.emails += [
            replace(row, is_primary=False)
            for row in data.emails
            if _safe(normalise.email, row.value) not in known_emails
        ]
        known_phones = {_safe(normalise.phone, row.value) for row in merged.phones}
        merged.phones += [
            replace(row, is_primary=False)
            for row in data.phones
            if _safe(normalise.phone, row.value) not in known_phones
        ]
        if values.get("company"):
            merged.company_id = self._company(values["company"]) or merged.company_id
        record_receipt = False
        if receipt is not None:
            # Data about this person now comes from a third party: the
            # contact becomes one, with its receipt (P4).
            record_receipt = existing.source == ContactSource.THIRD_PARTY
            merged.source, merged.receipt = ContactSource.THIRD_PARTY, receipt
        if self.dry:
            try:
                contacts.contact_validate(membership=self.membership, data=merged, contact=existing)
            except ValidationError as error:
                return self._refused(number, error)
            return Row(number, Outcome.UPDATE, object_id=existing.pk)
        contacts.contact_update(membership=self.membership, contact=existing, data=merged)
        if record_receipt:
            privacy.receipt_record(membership=self.membership, subject_id=existing.pk, **receipt)
        return Row(number, Outcome.UPDATE, object_id=existing.pk)

    # Companies

    def _company_row(self, number: int, values: dict, context: dict) -> Row:
        name = values.get("name", "")
        key = _digest(columns.fold(name)) if name else None
        if key is not None and key in self.seen:
            return Row(number, Outcome.SKIP, "duplicate_in_file", "name")
        data = contacts.CompanyData(
            **{
                field.key: values.get(field.key, "")
                for field in columns.fields_of(Resource.COMPANIES)
            }
        )
        existing = None
        if name:
            existing = next(
                (
                    c
                    for c in company_matches(self.membership, name, limit=20)
                    if company_is_named(c, name)
                ),
                None,
            )
        if existing is not None and self.item.on_duplicate == OnDuplicate.SKIP:
            row = Row(number, Outcome.SKIP, "duplicate_existing", "name", existing.pk)
        elif existing is not None:
            if not policy.can(self.membership, "companies.change", existing):
                return Row(number, Outcome.ERROR, "permission_denied", "", existing.pk)
            merged = contacts.company_data_of(existing)
            for field in columns.fields_of(Resource.COMPANIES):
                if values.get(field.key):
                    setattr(merged, field.key, values[field.key])
            if self.dry:
                try:
                    contacts.company_validate(
                        membership=self.membership, data=merged, company=existing
                    )
                except ValidationError as error:
                    return self._refused(number, error)
            else:
                contacts.company_update(membership=self.membership, company=existing, data=merged)
            row = Row(number, Outcome.UPDATE, object_id=existing.pk)
        elif self.dry:
            try:
                contacts.company_validate(membership=self.membership, data=data)
            except ValidationError as error:
                return self._refused(number, error)
            row = Row(number, Outcome.CREATE)
        else:
            created = contacts.company_create(membership=self.membership, data=data)
            row = Row(number, Outcome.CREATE, object_id=created.pk)
        if key is not None:
            self.seen.add(key)
        return row


def _requester(item: ImportJob) -> Membership | None:
    """The requester's membership as it is now: an import runs with the
    rights they have when it runs, not those they had when they asked."""
    with scope(workspace=item.workspace_id):
        return (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace_id=item.workspace_id, user_id=item.requested_by_id)
            .first()
        )


def _failed(item: ImportJob, error: BaseException) -> None:
    """A run that could not go on: what was applied stays (each row was
    whole), the file is destroyed, the failure is on record."""
    failure = "run_failed"
    if isinstance(error, storage.Malformed):
        failure = "malformed_file"
    elif isinstance(error, sealed.ExportUnreadable):
        failure = "file_unreadable"
    elif isinstance(error, Refusal):
        failure = error.code[:32]
    logger.warning("import %s failed: %s", item.pk, failure, exc_info=error)
    storage.destroy(item.pk, item.key_id)
    with transaction.atomic(), scopes_disabled():
        ImportJob.objects.filter(pk=item.pk).update(
            status=Status.FAILED, failure=failure, key_id="", finished_at=timezone.now()
        )
        audit.record(
            "imports.import.failed",
            actor=item.requested_by_id,
            workspace=item.workspace_id,
            obj=item,
            payload={"failure": failure, "dry_run": item.dry_run},
        )


def import_run(import_id) -> ImportJob | None:
    """Run a queued import (the job): a dry run writes only the rows'
    outcomes; a real run applies each row through the services."""
    with scopes_disabled():
        now = timezone.now()
        claimed = ImportJob.objects.filter(pk=import_id, status=Status.QUEUED).update(
            status=Status.RUNNING, started_at=now, touched_at=now, progress=0
        )
        if not claimed:
            return None
        item = ImportJob.objects.select_related("requested_by").get(pk=import_id)
    membership = _requester(item)
    try:
        if membership is None:
            raise Refusal(_("Not found."), code="requester_gone", status=404)
        _require_import(membership, item.resource)
        language = getattr(item.requested_by, "language", "") or translation.get_language()
        with translation.override(language), scope(workspace=item.workspace_id):
            preload_keys(item.workspace_id)
            runner = Runner(item, membership)
            runner.run()
    except Exception as error:
        _failed(item, error)
        with scopes_disabled():
            return ImportJob.objects.get(pk=item.pk)
    counts = {
        "rows": runner.read,
        "created": runner.counts[Outcome.CREATE],
        "updated": runner.counts[Outcome.UPDATE],
        "skipped": runner.counts[Outcome.SKIP],
        "errors": runner.counts[Outcome.ERROR],
        "flagged": runner.counts["flagged"],
    }
    with transaction.atomic(), scopes_disabled():
        done = Status.CHECKED if item.dry_run else Status.DONE
        ImportJob.objects.filter(pk=item.pk).update(
            status=done, total=runner.read, progress=runner.read, finished_at=timezone.now()
        )
        audit.record(
            "imports.import.checked" if item.dry_run else "imports.import.finished",
            actor=item.requested_by_id,
            workspace=item.workspace_id,
            obj=item,
            payload={"resource": item.resource, "source": item.source, **counts},
        )
    if not item.dry_run:
        import_discard(item)
    with scopes_disabled():
        return ImportJob.objects.get(pk=item.pk)


# --- Lost jobs --------------------------------------------------------------------------

# An import whose job gave no sign of life this long lost it: a running one
# writes its progress after every batch of rows.
LOST_AFTER = timedelta(minutes=10)


def imports_resume_lost(now=None) -> int:
    """Deal with the imports whose job was lost (the periodic job): the job
    queue does not run a job again once a worker took it, so a worker killed
    or restarted left its import queued or running for good, its page
    polling forever.

    Queued (the job never started): the job is queued again; its claim makes
    a job that was only late do nothing twice. Running (cut short mid-file):
    the import fails with ``interrupted`` — every row it handled was whole
    and stays, listed in its report, and the file is destroyed; importing the
    file again finds those rows as existing records. Audited as
    ``imports.import.resumed`` or ``imports.import.failed``. Returns how many
    were queued again."""
    now = now or timezone.now()
    silent_since = now - LOST_AFTER
    with scopes_disabled():
        lost = list(
            ImportJob.objects.filter(status__in=ACTIVE)
            .annotate(last_sign=Coalesce("touched_at", "created_at"))
            .filter(last_sign__lt=silent_since)
            .order_by("last_sign")[:100]
        )
    resumed = 0
    for item in lost:
        running = item.status == Status.RUNNING
        values = {"touched_at": now}
        if running:
            values.update(status=Status.FAILED, failure="interrupted", key_id="", finished_at=now)
        with transaction.atomic(), scopes_disabled():
            moved = ImportJob.objects.filter(
                pk=item.pk, status=item.status, touched_at=item.touched_at
            ).update(**values)
            if not moved:
                continue  # it moved meanwhile: its job is alive
            audit.record(
                "imports.import.failed" if running else "imports.import.resumed",
                actor=None,
                workspace=item.workspace_id,
                obj=item,
                payload={"failure": "interrupted", "dry_run": item.dry_run}
                if running
                else {"dry_run": item.dry_run},
            )
            if running:
                key_id = item.key_id
                transaction.on_commit(lambda pk=item.pk, key=key_id: storage.destroy(pk, key))
            else:
                import_id = str(item.pk)
                transaction.on_commit(lambda import_id=import_id: tasks.run_import(import_id))
                resumed += 1
    return resumed


# --- The file's end ---------------------------------------------------------------------


def import_discard(item: ImportJob) -> None:
    """Delete the file and destroy its key (the rows' outcomes stay)."""
    storage.destroy(item.pk, item.key_id)
    with scopes_disabled():
        ImportJob.objects.filter(pk=item.pk).update(key_id="")


def imports_expire(now=None, *, workspace_id=None, ids=None) -> int:
    """Destroy the files of imports left unused for ``FILE_KEPT_FOR``
    (uploaded or dry-run but never applied; hourly job and the retention
    target ``imports.files``). The rows stay, marked expired."""
    now = now or timezone.now()
    with scopes_disabled():
        due = ImportJob.objects.filter(
            status__in=(Status.UPLOADED, Status.CHECKED, Status.FAILED)
        ).exclude(key_id="", status=Status.FAILED)
        if workspace_id is not None:
            due = due.filter(workspace_id=workspace_id)
        if ids is not None:
            # The retention engine chose them by its own period.
            due = due.filter(pk__in=list(ids))
        else:
            due = due.filter(created_at__lte=now - FILE_KEPT_FOR)
        rows = list(due.values_list("pk", "workspace_id", "key_id")[:1000])
    for import_id, workspace, key_id in rows:
        with transaction.atomic():
            storage.destroy(import_id, key_id)
            with scopes_disabled():
                ImportJob.objects.filter(pk=import_id).update(status=Status.EXPIRED, key_id="")
            audit.record(
                "imports.import.expired",
                actor=None,
                workspace=workspace,
                object_type="imports.import",
                object_id=str(import_id),
            )
    return len(rows)
