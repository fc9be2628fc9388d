"""What can be exported (S4, S5): five resources, each the rows of its list
with the list's own filters, in a fixed set of columns.

A resource reads through its app's selectors and ``visible_to`` (S6), so an
export never holds a row its requester could not open in the list, and it
takes the list's query parameters as they are: a button on the list carries
its query string to the export form. The web form ignores a malformed value
as the list does; the API refuses it (``strict``) with problem details.

``subject`` names the person a row is about, for the purpose gate (P3): the
contact itself, or the contact a deal, ticket or activity is linked to.
Companies are organisations, not people: the gate has no one to ask about
(a sole proprietor's trade name is kept encrypted like any name, but a
company carries no consent of its own).

Rows are read in batches by primary key (``read``), as plain values, never
all at once: a batch is one query for the rows plus one per relation its
columns show (``Resource.prepare``: a contact's emails, phones and tags),
whatever its size, so the query count grows with the number of batches only.
"""

from __future__ import annotations

import datetime
import functools
import operator
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from django.conf import settings
from django.db import connections, models
from django.db.models import F, Func, QuerySet
from django.db.models.sql.constants import MULTI
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import Activity
from terabox_crm.contacts import search
from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone, Source, Stage, Tag
from terabox_crm.crypto import fields, keyring
from terabox_crm.deals import selectors as deal_selectors
from terabox_crm.deals.models import Deal
from terabox_crm.privacy import gate
from terabox_crm.refusals import Refusal
from terabox_crm.support import selectors as ticket_selectors
from terabox_crm.support.models import Priority, Ticket
from terabox_crm.support.models import Status as TicketStatus

BATCH = 2_000
# The first batch is smaller: the file's first sealed chunk (64 KiB, a few
# hundred rows) reaches the disk without waiting for a whole batch.
FIRST_BATCH = 500


@dataclass(frozen=True)
class Column:
    """One column: the database paths it reads (``owner__email``) and how its
    cell is made from the row's values (decrypted); by default the first
    path's value as text."""

    key: str
    label: object  # a lazy translation
    paths: tuple[str, ...]
    make: Callable[[dict], object] | None = None
    # A choice field's values shown by their labels in the active language.
    choices: object = None

    def value(self, row: dict):
        if self.make is not None:
            return self.make(row)
        if self.choices is not None:
            return _display(self.choices, row[self.paths[0]])
        return _text(row.get(self.paths[0]))

    def cell(self) -> Callable[[dict], object]:
        """``value`` as one function for the rows to come, in the language
        active now (a choice's labels translated once, not per row)."""
        if self.make is not None:
            return self.make
        path = self.paths[0]
        if self.choices is not None:
            labels = {value: str(label) for value, label in self.choices.choices}
            return lambda row: str(labels.get(row[path], row[path] or ""))

        def text(row: dict) -> str:
            value = row.get(path)
            return value if value.__class__ is str else _text(value)

        return text


def row_maker(columns, model=None) -> Callable[[dict], list]:
    """A function making an export row's cells from its values (``Column.cell``).

    With the ``model`` the rows were ``read`` from, a sealed column's cell is
    its value as it is: ``read`` leaves every sealed value text (decrypted,
    or ``""``), so ``_text`` has nothing to do (an ``itemgetter``, no Python
    call per cell)."""
    cells = [
        operator.itemgetter(column.paths[0])
        if model is not None
        and column.make is None
        and column.choices is None
        and _sealed(model, column.paths[0]) is not None
        else column.cell()
        for column in columns
    ]
    return lambda row: [cell(row) for cell in cells]


@dataclass(frozen=True)
class Selection:
    """The rows an export reads: ``queryset`` in the workspace, visible to the
    requester, and ``keep`` for the checks only decrypted values answer
    (a searched name or address: blind-index candidates are confirmed on the
    records themselves)."""

    queryset: QuerySet
    keep: Callable[[object], bool] | None = None


@dataclass(frozen=True)
class Resource:
    code: str
    label: object
    permission: str  # the list's own permission
    list_url: str
    columns: tuple[Column, ...]
    select: Callable[..., Selection]  # (membership, params, *, strict) -> Selection
    subject_field: str | None  # "pk", "contact_id" or None (no person)
    filter_keys: tuple[str, ...]
    # Adds what a batch's rows show beyond their own columns (a contact's
    # emails, phones and tags), with one query per relation per batch.
    prepare: Callable[[object, list], None] | None = None

    def column_keys(self) -> list[str]:
        return [column.key for column in self.columns]

    def columns_for(self, keys) -> list[Column]:
        wanted = set(keys or ())
        return [column for column in self.columns if not wanted or column.key in wanted]

    def subject_of(self, row: dict):
        if self.subject_field is None:
            return None
        return row[self.subject_field]


def _bad(name: str) -> Refusal:
    return Refusal(
        _("The filter “%(name)s” has a value the list does not offer.") % {"name": name},
        code="invalid_filter",
        field="filters",
    )


def _uuid(params, name: str, *, strict: bool):
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        if strict:
            raise _bad(name) from None
        return None


def _text(value) -> str:
    return "" if value is None else str(value)


def _user(user) -> str:
    if user is None:
        return ""
    return user.display_name or user.email


def _when(value) -> str:
    if not value:
        return ""
    if value.__class__ is str:
        # A moment as SQLite holds Django's UTC value (``_stored_moments``):
        # "YYYY-MM-DD HH:MM:SS[.ffffff]", naive.
        if len(value) in (19, 26) and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"
        parsed = parse_datetime(value)
        return value if parsed is None else _when(parsed)
    if value.__class__ is datetime.datetime and value.tzinfo is None:
        # A moment SQLite gave as stored, in UTC (``_values``): written as
        # Django's aware value would be.
        return value.isoformat() + "+00:00"
    return value.isoformat()


@functools.lru_cache(maxsize=1024)
def _label_of(choices, value, language: str) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def _display(choices, value) -> str:
    """A choice's label in the active language, looked up once per value:
    ``get_FOO_display`` hashes every lazy label of the field on every call,
    the largest cost of a row after decryption."""
    return _label_of(choices, value, get_language())


# --- Contacts ----------------------------------------------------------------------------


def _contact_matches(row, checks) -> bool:
    for kind, value in checks:
        if kind == "email":
            found = search.contact_has_email(row, value)
        elif kind == "phone":
            found = search.contact_has_phone(row, value)
        else:
            found = search.contact_has_tokens(row, value)
        if not found:
            return False
    return True


def _contacts(membership, params, *, strict: bool) -> Selection:
    try:
        filters = contact_selectors.ContactFilters.from_params(params, strict=strict)
    except contact_selectors.BadFilter as error:
        raise _bad(str(error)) from None
    queryset, checks = contact_selectors.filter_contacts(
        contact_selectors.contacts_for_list(membership), membership, filters
    )
    keep = (lambda row: _contact_matches(row, checks)) if checks else None
    return Selection(queryset, keep)


def _first_by_contact(model, workspace_id, ids, decryptor=None) -> dict:
    """The primary (else first) email or phone of each contact in ``ids``,
    decrypted: one query, the others of a contact never decrypted."""
    found: dict = {}
    rows = _values(
        model.objects.filter(contact_id__in=gate.ids_in(ids))
        .order_by("contact_id", "-is_primary", "id")
        .values_list("contact_id", "pk", "value")
    )
    table, column = model._meta.db_table, model._meta.get_field("value").column
    open_ = (decryptor or fields.Decryptor()).opener(
        scope=str(workspace_id), table=table, column=column
    )
    last = None
    for contact_id, pk, value in rows:
        if contact_id == last:
            continue
        last = contact_id
        found[_hex(contact_id)] = open_(value, _uuid_text(pk)) if value else ""
    return found


def _tags_by(through, field: str, ids) -> dict:
    """Tag names per record for a batch of record ids, in one query."""
    found: dict = {}
    rows = through.objects.filter(**{f"{field}__in": gate.ids_in(ids)}).order_by("tag__name")
    for record_id, name in rows.values_list(field, "tag__name"):
        found.setdefault(record_id, []).append(name)
    return found


def _contacts_batch(workspace_id, rows: list[dict]) -> None:
    ids = [row["pk"] for row in rows]
    decryptor = fields.Decryptor()
    emails = _first_by_contact(ContactEmail, workspace_id, ids, decryptor)
    phones = _first_by_contact(ContactPhone, workspace_id, ids, decryptor)
    tags = _tags_by(Tag.contacts.through, "contact_id", ids)
    for row in rows:
        key = row["pk"].hex
        row["email"] = emails.get(key, "")
        row["phone"] = phones.get(key, "")
        row["tags"] = ", ".join(tags.get(row["pk"], ()))


def _owner(prefix: str = "owner") -> Column:
    return Column(
        prefix,
        _("Owner") if prefix == "owner" else _("Assignee"),
        (f"{prefix}__display_name", f"{prefix}__email"),
        lambda r: r[f"{prefix}__display_name"] or r[f"{prefix}__email"] or "",
    )


def _person(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}__family_name", f"{prefix}__given_name")


def _person_name(prefix: str) -> Callable[[dict], str]:
    """A linked contact's name as the app shows it (``Contact.display_name``)."""

    def make(row: dict) -> str:
        family, given = row[f"{prefix}__family_name"], row[f"{prefix}__given_name"]
        if family is None and given is None:
            return ""
        return Contact(family_name=family or "", given_name=given or "").display_name

    return make


def _when_of(path: str) -> Callable[[dict], str]:
    return lambda row: _when(row[path])


CONTACT_COLUMNS = (
    Column("id", _("ID"), ("pk",)),
    Column("family_name", _("Family name"), ("family_name",)),
    Column("given_name", _("Given name"), ("given_name",)),
    Column("family_name_kana", _("Family name (kana)"), ("family_name_kana",)),
    Column("given_name_kana", _("Given name (kana)"), ("given_name_kana",)),
    Column("email", _("Email"), (), operator.itemgetter("email")),
    Column("phone", _("Phone"), (), operator.itemgetter("phone")),
    Column("company", _("Company"), ("company__name",)),
    Column("job_title", _("Job title"), ("job_title",)),
    Column("stage", _("Stage"), ("stage",), choices=Stage),
    Column("source", _("Source"), ("source",), choices=Source),
    _owner(),
    Column("tags", _("Tags"), (), operator.itemgetter("tags")),
    Column("notes", _("Notes"), ("notes",)),
    Column("created_at", _("Created"), ("created_at",), _when_of("created_at")),
    Column("updated_at", _("Updated"), ("updated_at",), _when_of("updated_at")),
)

# --- Companies ---------------------------------------------------------------------------


def _companies(membership, params, *, strict: bool) -> Selection:
    queryset = contact_selectors.companies_for_list(membership)
    owner = _uuid(params, "owner", strict=strict)
    if owner:
        queryset = queryset.filter(owner_id=owner)
    tag = _uuid(params, "tag", strict=strict)
    if tag:
        queryset = queryset.filter(tags__id=tag)
    query = (params.get("q") or "").strip()[:200]
    parts = search.company_query(query) if query else []
    if parts:
        queryset = search.matching_parts(
            queryset, membership.workspace_id, search.COMPANY_NAME, parts
        )
        return Selection(queryset, lambda row: search.company_has_parts(row, parts))
    return Selection(queryset)


def _companies_batch(workspace_id, rows: list[dict]) -> None:
    tags = _tags_by(Tag.companies.through, "company_id", [row["pk"] for row in rows])
    for row in rows:
        row["tags"] = ", ".join(tags.get(row["pk"], ()))


COMPANY_COLUMNS = (
    Column("id", _("ID"), ("pk",)),
    Column("name", _("Name"), ("name",)),
    Column("name_kana", _("Name (kana)"), ("name_kana",)),
    Column("website", _("Website"), ("website",)),
    Column("phone", _("Phone"), ("phone",)),
    Column("postal_code", _("Postal code"), ("postal_code",)),
    Column("region", _("Prefecture or region"), ("region",)),
    Column("city", _("City"), ("city",)),
    Column("street", _("Street address"), ("street",)),
    Column("industry", _("Industry"), ("industry",)),
    _owner(),
    Column("tags", _("Tags"), (), operator.itemgetter("tags")),
    Column("notes", _("Notes"), ("notes",)),
    Column("created_at", _("Created"), ("created_at",), _when_of("created_at")),
)


# --- Deals -------------------------------------------------------------------------------


def _deals(membership, params, *, strict: bool) -> Selection:
    query = (params.get("q") or "").strip()
    queryset = (
        deal_selectors.search(membership, query) if query else Deal.objects.visible_to(membership)
    )
    for name in ("pipeline", "contact", "company", "stage"):
        value = _uuid(params, name, strict=strict)
        if value:
            queryset = queryset.filter(**{f"{name}_id": value})
    return Selection(queryset)


DEAL_COLUMNS = (
    Column("id", _("ID"), ("pk",)),
    Column("name", _("Name"), ("name",)),
    Column("pipeline", _("Pipeline"), ("pipeline__name",)),
    Column("stage", _("Stage"), ("stage__name",)),
    Column("amount", _("Amount"), ("amount",)),
    Column("currency", _("Currency"), ("currency",)),
    Column(
        "expected_close_date",
        _("Expected close date"),
        ("expected_close_date",),
        _when_of("expected_close_date"),
    ),
    Column("probability", _("Probability (%)"), ("probability",)),
    Column("company", _("Company"), ("company__name",)),
    Column("contact", _("Contact"), _person("contact"), _person_name("contact")),
    _owner(),
    Column("created_at", _("Created"), ("created_at",), _when_of("created_at")),
    Column(
        "closed_at", pgettext_lazy("date column", "Closed"), ("closed_at",), _when_of("closed_at")
    ),
)


# --- Tickets -----------------------------------------------------------------------------


def _tickets(membership, params, *, strict: bool) -> Selection:
    queryset = Ticket.objects.visible_to(membership)
    status = (params.get("status") or "").strip()
    if status == ticket_selectors.ALL_STATUSES:
        pass
    elif status in TicketStatus.values:
        queryset = queryset.filter(status=status)
    else:
        if status and strict:
            raise _bad("status")
        queryset = queryset.filter(status__in=ticket_selectors.OPEN_STATUSES)
    for name in ("contact", "company"):
        value = _uuid(params, name, strict=strict)
        if value:
            queryset = queryset.filter(**{f"{name}_id": value})
    if params.get("mine") == "1":
        queryset = queryset.filter(assignee_id=membership.user_id)
    return Selection(queryset)


TICKET_COLUMNS = (
    Column("id", _("ID"), ("pk",)),
    Column("number", _("Number"), ("number",), operator.itemgetter("number")),
    Column("subject", _("Subject"), ("subject",)),
    Column("status", _("Status"), ("status",), choices=TicketStatus),
    Column("priority", _("Priority"), ("priority",), choices=Priority),
    Column("contact", _("Contact"), _person("contact"), _person_name("contact")),
    Column("company", _("Company"), ("company__name",)),
    _owner("assignee"),
    Column("description", _("Description"), ("description",)),
    Column("created_at", _("Created"), ("created_at",), _when_of("created_at")),
    Column(
        "resolution_due_at",
        _("Resolution due"),
        ("resolution_due_at",),
        _when_of("resolution_due_at"),
    ),
    Column(
        "resolved_at",
        pgettext_lazy("date column", "Resolved"),
        ("resolved_at",),
        _when_of("resolved_at"),
    ),
)


# --- Activities --------------------------------------------------------------------------


def _activities(membership, params, *, strict: bool) -> Selection:
    queryset = Activity.objects.visible_to(membership)
    for name in ("contact", "company", "deal"):
        value = _uuid(params, name, strict=strict)
        if value:
            queryset = queryset.filter(**{f"{name}_id": value})
    kind = (params.get("kind") or "").strip()
    if kind:
        if kind not in Activity.Kind.values:
            if strict:
                raise _bad("kind")
        else:
            queryset = queryset.filter(kind=kind)
    since = (params.get("since") or "").strip()
    if since:
        moment = parse_datetime(since)
        if moment is None and strict:
            raise _bad("since")
        if moment is not None:
            queryset = queryset.filter(occurred_at__gte=moment)
    return Selection(queryset)


ACTIVITY_COLUMNS = (
    Column("id", _("ID"), ("pk",)),
    Column("kind", _("Kind"), ("kind",), choices=Activity.Kind),
    Column("occurred_at", _("When"), ("occurred_at",), _when_of("occurred_at")),
    Column("subject", pgettext_lazy("activity", "Subject"), ("subject",)),
    Column("body", _("Details"), ("body",)),
    Column("duration_minutes", _("Duration (minutes)"), ("duration_minutes",)),
    Column("contact", _("Contact"), _person("contact"), _person_name("contact")),
    Column("company", _("Company"), ("company__name",)),
    Column("deal", _("Deal"), ("deal__name",)),
    _owner(),
)


RESOURCES: dict[str, Resource] = {
    resource.code: resource
    for resource in (
        Resource(
            "contacts",
            _("Contacts"),
            "contacts.view",
            "contacts:list",
            CONTACT_COLUMNS,
            _contacts,
            "pk",
            ("stage", "owner", "tag", "company", "source", "q", "email", "phone"),
            _contacts_batch,
        ),
        Resource(
            "companies",
            _("Companies"),
            "companies.view",
            "companies:list",
            COMPANY_COLUMNS,
            _companies,
            None,
            ("q", "owner", "tag"),
            _companies_batch,
        ),
        Resource(
            "deals",
            _("Deals"),
            "deals.view",
            "deals:list",
            DEAL_COLUMNS,
            _deals,
            "contact_id",
            ("q", "pipeline", "contact", "company", "stage"),
        ),
        Resource(
            "tickets",
            _("Tickets"),
            "tickets.view",
            "support:tickets",
            TICKET_COLUMNS,
            _tickets,
            "contact_id",
            ("status", "contact", "company", "mine"),
        ),
        Resource(
            "activities",
            _("Activities"),
            "activities.view",
            "activities:tasks",
            ACTIVITY_COLUMNS,
            _activities,
            "contact_id",
            ("contact", "company", "deal", "kind", "since"),
        ),
    )
}


def get(code: str) -> Resource:
    try:
        return RESOURCES[code]
    except KeyError:
        raise Refusal(
            _("Choose what to export: contacts, companies, deals, tickets or activities."),
            code="invalid_resource",
            field="resource",
        ) from None


def clean_params(resource: Resource, params) -> dict[str, str]:
    """The list's query parameters this resource reads (others are dropped)."""
    return {
        key: str(params.get(key))[:200]
        for key in resource.filter_keys
        if params.get(key) not in (None, "")
    }


@dataclass(frozen=True)
class _Sealed:
    """How to decrypt one path of a row: its column, table, scope, row id path."""

    path: str
    table: str
    column: str
    id_path: str
    in_workspace: bool


def _sealed(model, path: str) -> _Sealed | None:
    names = path.split("__")
    if names[-1] in ("pk", "id") or path.endswith("_id"):
        return None
    for name in names[:-1]:
        model = model._meta.get_field(name).related_model
    field = model._meta.get_field(names[-1])
    if not isinstance(field, fields.EncryptedTextField):
        return None
    id_path = "__".join([*names[:-1], "pk"]) if len(names) > 1 else "pk"
    # A workspace's records are sealed under its scope, users under the system's.
    in_workspace = any(f.name == "workspace" for f in model._meta.fields)
    return _Sealed(path, model._meta.db_table, field.column, id_path, in_workspace)


def _uuid_text(value) -> str:
    """A UUID column's value as the database driver gives it (a ``UUID`` on
    PostgreSQL, 32 hex digits on SQLite) in its canonical text form, the
    row id the sealed values' associated data names."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _hex(value) -> str:
    """A UUID column's value as the driver gives it, as 32 hex digits (a
    dict key that needs no ``UUID`` made)."""
    return value if isinstance(value, str) else value.hex


def _as_uuid(value):
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(hex=value)


def _raw_kind(expression) -> str:
    field = getattr(expression, "output_field", None)
    if getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False):
        field = field.target_field  # a foreign key holds its target's value
    if isinstance(field, fields.EncryptedTextField):
        return "sealed"
    if isinstance(field, models.UUIDField):
        return "uuid"
    return ""


def _is_moment(expression) -> bool:
    field = getattr(expression, "output_field", None)
    return isinstance(field, models.DateTimeField)


def _values(queryset) -> list[list]:
    """The rows of a ``values_list`` queryset, converted as Django converts
    them except two kinds of column left as the driver returns them: UUIDs
    (``_as_uuid``/``_uuid_text`` make them when needed: a ``UUID`` per value
    was the largest cost of a row after decryption) and encrypted columns
    (their ciphertext, for ``fields.Decryptor``)."""
    compiler = queryset.query.get_compiler(queryset.db)
    results = compiler.execute_sql(MULTI)
    if not results:
        return []
    select = [item[0] for item in compiler.select[: compiler.col_count]]
    # SQLite's driver already gives a moment as a naive ``datetime`` in the
    # connection's time zone; in UTC, ``_when`` writes it without Django
    # making it aware first (a ``replace`` per value).
    connection = connections[queryset.db]
    naive_utc = (
        connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone is datetime.UTC
    )
    converters = {
        index: found
        for index, found in compiler.get_converters(select).items()
        if not _raw_kind(select[index]) and not (naive_utc and _is_moment(select[index]))
    }
    rows = chain.from_iterable(results)
    if converters:
        return list(compiler.apply_converters(rows, converters))
    return [list(row) for row in rows]


class _AsStored(Func):
    """A column as the text the database holds (an expression has no declared
    type, so SQLite's driver hands it over without Django's converter)."""

    template = "(%(expressions)s || '')"
    output_field = models.TextField()


def _stored_moments(queryset, wanted: list[str]) -> tuple[QuerySet, list[str]]:
    """On SQLite in UTC, the moment columns of ``wanted`` read as their stored
    text (``_when`` writes it as Django's aware value would be written): the
    driver's converter, a Python call and a parse per value, then an
    ``isoformat`` per value, were a twentieth of a contact export's CPU.
    Returns the queryset and the names to pass to ``values_list``."""
    connection = connections[queryset.db]
    if not (
        connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone is datetime.UTC
    ):
        return queryset, list(wanted)
    probe = queryset.values_list(*wanted)
    compiler = probe.query.get_compiler(probe.db)
    compiler.setup_query()
    selected = [item[0] for item in compiler.select[: compiler.col_count]]
    names = list(wanted)
    stored = {}
    for index, expression in enumerate(selected):
        if _is_moment(expression):
            names[index] = f"_stored_{index}"
            stored[names[index]] = _AsStored(F(wanted[index]))
    return (queryset.annotate(**stored) if stored else queryset), names


def _kinds(queryset) -> list[str]:
    """``_raw_kind`` of each column of a ``values_list`` queryset."""
    compiler = queryset.query.get_compiler(queryset.db)
    compiler.setup_query()
    return [_raw_kind(item[0]) for item in compiler.select[: compiler.col_count]]


def read(
    resource: Resource, selection: Selection, columns, workspace_id, *, size: int = BATCH
) -> Iterator[tuple[int, list[dict]]]:
    """The rows of an export as dicts of plain values, in batches of ``size``
    by primary key: ``(rows read, rows kept)`` per batch.

    ``values_list`` compiled and fetched as plain values (``_values``), never
    a model instance per row (an instance and its related instances cost
    more than the row itself at export sizes); each sealed value decrypted
    by one ``fields.Decryptor`` per batch (its keys looked up once), and a
    joined row's value (the owner's name on every contact) once per batch.
    Each batch is one query, plus one per relation ``resource.prepare``
    reads, plus one for ``selection.keep`` (the records of a search, checked
    after decryption), whatever its size: the query count grows with the
    number of batches only. Never an OFFSET, never the whole table in memory."""
    wanted = ["pk"]
    if resource.subject_field not in (None, "pk"):
        wanted.append(resource.subject_field)
    for column in columns:
        wanted += [path for path in column.paths if path not in wanted]
    model = selection.queryset.model
    sealed = [found for found in (_sealed(model, path) for path in wanted) if found]
    wanted += [found.id_path for found in sealed if found.id_path not in wanted]
    scope = str(workspace_id)
    base, names = _stored_moments(selection.queryset.prefetch_related(None).order_by("pk"), wanted)
    ordered = base.values_list(*names)
    kinds = _kinds(ordered)
    index_of = {path: index for index, path in enumerate(wanted)}
    # The ids a row is known by become UUIDs; a joined row's id only names
    # it in its sealed values' associated data (``_uuid_text``).
    named = {"pk", resource.subject_field} | {column.paths[0] for column in columns if column.paths}
    uuids = [index for index, kind in enumerate(kinds) if kind == "uuid" and wanted[index] in named]
    plan = [
        (
            index_of[found.path],
            index_of[found.id_path],
            {
                "scope": scope if found.in_workspace else keyring.SYSTEM_SCOPE,
                "table": found.table,
                "column": found.column,
            },
            found.id_path != "pk",  # a joined row: the same value on many rows
        )
        for found in sealed
    ]
    own = [(target, id_index, where) for target, id_index, where, shared in plan if not shared]
    joins = [(target, id_index, where) for target, id_index, where, shared in plan if shared]
    pk_index = index_of["pk"]
    last = None
    limit = min(size, FIRST_BATCH)
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        values = _values(page[:limit])
        if not values:
            return
        read_count = len(values)
        # One opener per sealed column (its key held, its associated data's
        # fixed part joined once), made for each batch: a key destroyed
        # meanwhile is seen at the next batch.
        decryptor = fields.Decryptor()
        owns = [(target, decryptor.opener(**where)) for target, _id, where in own]
        joined = [
            (target, id_index, decryptor.opener(**where), {}) for target, id_index, where in joins
        ]
        for row in values:
            if owns:
                own_id = _uuid_text(row[pk_index])  # the row's own id, once for its columns
                for target, open_ in owns:
                    token = row[target]
                    row[target] = open_(token, own_id) if token else ""
            for target, id_index, open_, memo in joined:
                token = row[target]
                if not token:
                    row[target] = ""
                    continue
                # A joined row's value (the owner's name on every contact):
                # decrypted once per batch.
                joined_id = row[id_index]
                plain = memo.get(joined_id)
                if plain is None:
                    plain = memo[joined_id] = open_(token, _uuid_text(joined_id))
                row[target] = plain
            for index in uuids:
                row[index] = _as_uuid(row[index])
        rows = [dict(zip(wanted, row, strict=True)) for row in values]
        last = rows[-1]["pk"]
        if selection.keep is not None:
            kept = {
                record.pk
                for record in selection.queryset.filter(
                    pk__in=gate.ids_in([row["pk"] for row in rows])
                )
                if selection.keep(record)
            }
            rows = [row for row in rows if row["pk"] in kept]
        if resource.prepare is not None and rows:
            resource.prepare(workspace_id, rows)
        yield read_count, rows
        if read_count < limit:
            return
        limit = size


def id_batches(queryset: QuerySet, field: str | None, *, size: int = 5_000) -> Iterator[list]:
    """``(pk, subject id)`` pairs in batches by primary key: what the count
    before an export reads (no decryption, no prefetch)."""
    last = None
    names = ["pk"] if field in (None, "pk") else ["pk", field]
    ordered = queryset.order_by("pk").values_list(*names)
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield [(row[0], row[0] if field == "pk" else (row[1] if field else None)) for row in rows]
        if len(rows) < size:
            return
        last = rows[-1][0]
