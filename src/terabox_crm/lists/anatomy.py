"""The one list anatomy of the record lists (docs/ui.md "Lists"): columns,
sorting by column header on whitelisted keys with a stable order by id,
keyset (cursor) pages, a capped count, remembered columns, saved and
built-in views as tabs, filter chips, and the checks every bulk action
makes before it changes anything.

An app describes its list once (``ListSpec``, registered from its
``AppConfig.ready()``); its list view asks this module for the sort, the
page, the count and the columns, and renders ``lists/_list_top.html`` and
``lists/_sort_th.html``. Engines-level: imports core, never a domain app.

Scale (1M contacts): no OFFSET, no COUNT over the whole table — the count
stops at ``COUNT_CAP`` and says "10,000+"; a page reads ``limit + 1`` rows.
Encrypted columns (names, emails, phones) have no SQL order: they are never
sort keys (their ``sort`` is empty).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from terabox_crm.core import guards, policy, records
from terabox_crm.lists.models import ListColumns, ListView
from terabox_crm.refusals import Refusal

PAGE_SIZE = 50
COUNT_CAP = 10_000  # as the deal board: more is shown as "10,000+"
BULK_LIMIT = 1_000  # records per bulk action (docs/ui.md "Bulk actions")

# Parameters that are never part of a view: the page position and the search text.
NOT_IN_VIEWS = ("cursor", "after", "q")


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    sort: str = ""  # the model field ordered by in SQL; "" = not sortable (encrypted)
    nullable: bool = False  # NULLs sort last in both directions
    nowrap: bool = False  # kana, phones, emails, dates: never broken mid-word
    required: bool = False  # always shown (the record's name)
    default: bool = True  # shown until the user chooses
    num: bool = False
    # Sorted by this expression instead (e.g. a stage's place in its
    # lifecycle, not its code's spelling); annotated as ``sort``.
    expression: Any = None

    @property
    def sortable(self) -> bool:
        return bool(self.sort)


@dataclass(frozen=True)
class BuiltinView:
    key: str
    label: Any
    params: dict


@dataclass(frozen=True)
class ListSpec:
    key: str  # "contacts", "companies", "deals", "tickets", "tasks"
    url_name: str  # the list's route, e.g. "contacts:list"
    permission: str  # the policy action that shows the list, e.g. "contacts.view"
    columns: tuple[Column, ...]
    default_sort: str  # a column key, "-" for descending
    filters: tuple[str, ...] = ()  # query parameters a view may keep
    builtin_views: tuple[BuiltinView, ...] = ()
    first_view: Any = None  # the name of the tab without filters ("All" unless said)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


_registry: dict[str, ListSpec] = {}


def register(spec: ListSpec) -> None:
    """Declare a list (from an app's ``ready()``; registering again replaces it)."""
    _registry[spec.key] = spec


def spec_of(key: str) -> ListSpec | None:
    return _registry.get(key)


# --- Sorting and keyset pages -----------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    column: Column
    descending: bool

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.column.key

    def ordering(self) -> tuple:
        expression = F(self.column.sort)
        if self.column.nullable:
            first = (
                expression.desc(nulls_last=True)
                if self.descending
                else expression.asc(nulls_last=True)
            )
        else:
            first = expression.desc() if self.descending else expression.asc()
        return (first, "-id" if self.descending else "id")


def sort_from(spec: ListSpec, value: str | None) -> Sort:
    """The sort asked for, if its column is sortable; else the list's default."""
    for candidate in (value or "", spec.default_sort):
        key = candidate.lstrip("-")
        column = spec.column(key)
        if column is not None and column.sortable:
            return Sort(column=column, descending=candidate.startswith("-"))
    raise ValueError(f"list {spec.key!r} has no sortable default")


_SEP = "\x1f"  # the unit separator: never in a date, a number, an id or a code


def _plain(value) -> tuple[str, str]:
    """A cursor value as (kind, text), so that it decodes to the same type."""
    if value is None:
        return "n", ""
    if isinstance(value, dt.datetime):
        return "dt", value.isoformat()
    if isinstance(value, dt.date):
        return "d", value.isoformat()
    if isinstance(value, Decimal):
        return "dec", str(value)
    if isinstance(value, bool):
        return "s", str(value)
    if isinstance(value, int):
        return "i", str(value)
    return "s", str(value)


def _typed(kind: str, raw: str):
    readers = {
        "n": lambda _raw: None,
        "dt": dt.datetime.fromisoformat,
        "d": dt.date.fromisoformat,
        "dec": Decimal,
        "i": int,
        "s": str,
    }
    if kind not in readers:
        raise ValueError(kind)
    return readers[kind](raw)


def encode_cursor(sort: Sort, value, pk) -> str:
    kind, raw = _plain(value)
    text = _SEP.join((sort.param, kind, raw, str(pk)))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(sort: Sort, cursor: str):
    """``(value, pk)`` or ``None`` for a cursor that does not decode or was
    made for another sort (the page starts again)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        param, kind, rest = text.split(_SEP, 2)
        raw, pk = rest.rsplit(_SEP, 1)
        if param != sort.param:
            return None
        return _typed(kind, raw), uuid.UUID(pk)
    except (ValueError, TypeError, ArithmeticError, UnicodeDecodeError):
        return None


def _value_of(row, path: str):
    value = row
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    if hasattr(value, "pk") and not isinstance(value, uuid.UUID):
        value = value.pk
    return value


@dataclass
class Page:
    rows: list
    next_cursor: str = ""
    has_more: bool = False


def after(queryset, sort: Sort, position):
    """Rows after ``position`` (``(value, pk)``) in ``sort``'s order, NULLs last."""
    value, pk = position
    name = sort.column.sort
    op = "lt" if sort.descending else "gt"
    if value is None:  # inside the NULLs, which come last in both directions
        return queryset.filter(**{f"{name}__isnull": True, f"id__{op}": pk})
    condition = Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"id__{op}": pk})
    if sort.column.nullable:
        condition |= Q(**{f"{name}__isnull": True})
    return queryset.filter(condition)


def ordered(queryset, sort: Sort):
    """``queryset`` in ``sort``'s order, then by id (stable)."""
    if sort.column.expression is not None:
        queryset = queryset.annotate(**{sort.column.sort: sort.column.expression})
    return queryset.order_by(*sort.ordering())


def keyset(queryset, sort: Sort, *, cursor: str = "", limit: int = PAGE_SIZE) -> Page:
    """One page in ``sort``'s order then by id (stable), without OFFSET."""
    queryset = ordered(queryset, sort)
    position = decode_cursor(sort, cursor) if cursor else None
    if position is not None:
        queryset = after(queryset, sort, position)
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = ""
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(sort, _value_of(last, sort.column.sort), last.pk)
    return Page(rows=rows, next_cursor=next_cursor, has_more=has_more)


# --- Count ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool = False  # more than COUNT_CAP: "10,000+"
    estimated: bool = False  # an upper bound (a blind-index search before decryption)

    def label(self) -> str:
        shown = f"{self.value:,}"
        if self.capped:
            return ngettext("%(n)s+ record", "%(n)s+ records", self.value) % {"n": shown}
        if self.estimated and self.value:  # "about 0 records" says nothing
            return ngettext("about %(n)s record", "about %(n)s records", self.value) % {"n": shown}
        return ngettext("%(n)s record", "%(n)s records", self.value) % {"n": shown}


def capped_count(queryset, *, cap: int = COUNT_CAP, estimated: bool = False) -> Count:
    """``COUNT`` over at most ``cap + 1`` rows: one query, bounded at any size."""
    total = queryset.order_by().values("pk")[: cap + 1].count()
    if total > cap:
        return Count(cap, capped=True, estimated=estimated)
    return Count(total, estimated=estimated)


# --- Columns ----------------------------------------------------------------------------


def shown_columns(membership, spec: ListSpec) -> list[Column]:
    """The columns this user chose for this list (required ones always)."""
    chosen = (
        ListColumns.objects.filter(
            workspace_id=membership.workspace_id, user_id=membership.user_id, list_key=spec.key
        )
        .values_list("columns", flat=True)
        .first()
    )
    if chosen is None:
        return [c for c in spec.columns if c.default or c.required]
    keys = set(chosen)
    return [c for c in spec.columns if c.required or c.key in keys]


# --- Views (tabs) and chips -------------------------------------------------------------


def view_params(spec: ListSpec, params) -> dict[str, str]:
    """The filters and sort of a request that a view keeps (ids and codes)."""
    kept = {}
    for name in (*spec.filters, "sort"):
        value = params.get(name) or ""
        if value and name not in NOT_IN_VIEWS:
            kept[name] = str(value)[:64]
    return kept


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if v} == {k: v for k, v in b.items() if v}


def tabs(membership, spec: ListSpec, params, *, extra=()) -> list[dict]:
    """Built-in views, then ``extra`` (an app's own saved views, as
    ``(name, params, delete_url)``), then the user's views; the one
    matching the current filters is active (none when no view matches)."""
    current = view_params(spec, params)
    first = spec.first_view or _("All")
    items = [{"name": first, "params": {}, "id": None, "builtin": True}]
    items += [
        {"name": v.label, "params": v.params, "id": None, "builtin": True}
        for v in spec.builtin_views
    ]
    items += [
        {"name": n, "params": p, "id": None, "builtin": False, "delete_url": url}
        for n, p, url in extra
    ]
    saved = ListView.objects.filter(
        workspace_id=membership.workspace_id, user_id=membership.user_id, list_key=spec.key
    )
    items += [
        {
            "name": v.name,
            "params": v.params,
            "id": v.pk,
            "builtin": False,
            "delete_url": reverse("lists:view_delete", args=[v.pk]),
        }
        for v in saved
    ]
    found = False
    for item in items:
        item["query"] = urlencode(item["params"])
        item["active"] = not found and _same(item["params"], current)
        found = found or item["active"]
    return items


def named_value(name, value) -> str:
    """A filter's name and its value ("Owner: Any", 「担当者：すべて」), with the
    colon of the reader's language (full-width next to Japanese)."""
    return pgettext("filter chip", "%(name)s: %(value)s") % {"name": name, "value": value}


@dataclass
class Chip:
    label: str
    remove_query: str


@dataclass
class Filter:
    """One control of the filter bar: a select of ``options`` (value, label).
    ``empty`` names what the empty choice shows when that is not everything
    (a queue that shows its open items until told otherwise)."""

    name: str
    label: Any
    options: list = field(default_factory=list)
    value: str = ""
    empty: Any = None

    @property
    def value_label(self) -> str:
        return next((str(label) for value, label in self.options if str(value) == self.value), "")

    @property
    def placeholder(self) -> str:
        """The select's empty option, which labels it: "Owner: Any", or
        "Status: Open" where the empty choice shows the open ones."""
        return named_value(self.label, _("Any") if self.empty is None else self.empty)


def chips(params: dict, filters: list[Filter], *, search_label=None) -> list[Chip]:
    """A chip per active filter, each with the query that removes it."""
    active = {k: v for k, v in params.items() if v and k not in ("cursor", "after")}
    out = []
    if active.get("q") and search_label is not None:
        rest = {k: v for k, v in active.items() if k != "q"}
        out.append(Chip(named_value(search_label, active["q"]), urlencode(rest)))
    for item in filters:
        if item.value and active.get(item.name):
            rest = {k: v for k, v in active.items() if k != item.name}
            label = item.value_label or item.value
            out.append(Chip(named_value(item.label, label), urlencode(rest)))
    return out


# --- Bulk actions ---------------------------------------------------------------------


def bulk_ids(membership, values, *, action: str) -> list[uuid.UUID]:
    """The chosen ids of a bulk POST: 1 to ``BULK_LIMIT`` well-formed ids.
    More is refused as a whole (400), never truncated."""
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise guards.invalid(
                membership, action, message=_("The chosen records are not valid."), code="bad_id"
            ) from None
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise Refusal(_("Choose at least one record."), code="empty", action=action)
    if len(ids) > BULK_LIMIT:
        raise Refusal(
            _("Choose at most %(limit)s records for one action (you chose %(count)s).")
            % {"limit": f"{BULK_LIMIT:,}", "count": f"{len(ids):,}"},
            code="too_many",
            action=action,
        )
    return ids


def bulk_records(membership, queryset, ids, *, permission: str, action: str) -> list:
    """The records of ``ids`` in ``queryset`` (already ``visible_to`` the
    member), each one allowed ``permission`` by the policy — else a refusal
    that names how many are not, and nothing is changed.

    An id that is not there (another workspace's, deleted, not readable) is
    refused as a whole with the answer a missing record gets (404). Record
    locks (a restricted contact's timeline, P7) are answered through the
    policy's write rule, preloaded in one query."""
    rows = list(queryset.filter(pk__in=ids))
    if len(rows) != len(ids):
        missing = len(ids) - len(rows)
        raise guards.refusal(
            membership,
            action,
            message=ngettext(
                "%(count)s of the chosen records was not found. Nothing was changed.",
                "%(count)s of the chosen records were not found. Nothing was changed.",
                missing,
            )
            % {"count": f"{missing:,}"},
            code="not_found",
            status=404,
            count=missing,
        )
    records.preload_locks(membership, rows)
    denied = [row for row in rows if not policy.can(membership, permission, row)]
    if denied:
        raise guards.refusal(
            membership,
            action,
            message=ngettext(
                "You may not change %(count)s of the chosen records. Nothing was changed.",
                "You may not change %(count)s of the chosen records. Nothing was changed.",
                len(denied),
            )
            % {"count": f"{len(denied):,}"},
            code="forbidden",
            status=403,
            count=len(denied),
            ids=[str(row.pk) for row in denied[:20]],
        )
    order = {pk: n for n, pk in enumerate(ids)}
    rows.sort(key=lambda row: order[row.pk])
    return rows


# --- What the shared templates show ------------------------------------------------------


@dataclass(frozen=True)
class BulkAction:
    """One choice of the bulk bar; ``options`` for the value it needs (owner, tag, stage)."""

    key: str  # "owner", "tag_add", "tag_remove", "stage", "delete"
    label: Any
    options: list = field(default_factory=list)
    danger: bool = False


@dataclass
class ListContext:
    spec: ListSpec
    sort: Sort
    columns: list[Column]
    count: Count | None
    params: dict  # the current filters, search and sort (no cursor)
    filters: list[Filter]
    chips: list[Chip]
    tabs: list[dict]
    bulk_url: str = ""
    bulk_actions: list[BulkAction] = field(default_factory=list)
    search_placeholder: Any = ""
    next_url: str = ""
    searchable: bool = True

    @property
    def hidden_params(self) -> dict:
        """Filters in the address with no control of their own (a record's
        "See all": ``?contact=``…), kept when the filter bar is applied."""
        shown = {f.name for f in self.filters} | {"q", "sort"}
        return {k: v for k, v in self.params.items() if k not in shown}

    @property
    def shown(self) -> set[str]:
        return {c.key for c in self.columns}

    @property
    def width(self) -> int:
        """Cells per row: the columns, plus the checkbox when bulk actions exist."""
        return len(self.columns) + (1 if self.bulk_actions else 0)

    @property
    def query(self) -> str:
        return urlencode(self.params)

    @property
    def saved_query(self) -> str:
        return urlencode({k: v for k, v in self.params.items() if k not in NOT_IN_VIEWS})

    def sort_query(self, column: Column) -> str:
        """The query that sorts by ``column``: ascending first, then reversed."""
        descending = self.sort.column.key == column.key and not self.sort.descending
        params = {k: v for k, v in self.params.items() if k != "sort"}
        params["sort"] = ("-" if descending else "") + column.key
        return urlencode(params)

    def choosable(self) -> list[dict]:
        shown = self.shown
        return [{"column": c, "shown": c.key in shown} for c in self.spec.columns if not c.required]


def list_context(
    request,
    spec: ListSpec,
    *,
    sort: Sort,
    count: Count | None,
    filters: list[Filter] = (),
    search_label=None,
    search_placeholder="",
    bulk_url: str = "",
    bulk_actions: list[BulkAction] = (),
    extra_views=(),
    next_cursor: str = "",
) -> ListContext:
    membership = request.membership
    names = ("q", *spec.filters)
    params = {name: request.GET.get(name, "") for name in names if request.GET.get(name)}
    if sort.param != spec.default_sort:
        params["sort"] = sort.param
    filters = list(filters)
    next_url = "?" + urlencode({**params, "cursor": next_cursor}) if next_cursor else ""
    return ListContext(
        spec=spec,
        sort=sort,
        columns=shown_columns(membership, spec),
        count=count,
        params=params,
        filters=filters,
        chips=chips(params, filters, search_label=search_label),
        tabs=tabs(membership, spec, params, extra=extra_views),
        bulk_url=bulk_url,
        bulk_actions=list(bulk_actions),
        search_placeholder=search_placeholder,
        next_url=next_url,
        searchable=search_label is not None,
    )
