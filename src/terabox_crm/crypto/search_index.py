"""Blind-index terms for exact and whole-token search on encrypted fields.

One table holds every searchable term of every tenant row: ``(workspace,
domain, term, object_id)``, where ``domain`` names the field
(``contacts.contact.email``), ``term`` is the truncated keyed hash of one
normalised value or name token, and ``object_id`` the row. A search computes
the term, fetches candidate ids by index, and the caller decrypts the
candidates and compares plaintext, so truncation's false positives never
reach a user. Nothing here knows the CRM's models.

Prefix terms (typeahead on names) are a workspace option, off by default,
because they leak much more (docs/decisions/0005-blind-index-leakage.md §3).
When on, each name token also gets one term per prefix length in a domain of
its own (``<domain>.prefix<n>``), written beside the whole-token term by the
domain app's indexing code and, for rows that existed before, by a resumable
batched job (``core.prefix_search.sync_prefixes``, above the audit trail it
records to); turning the option off deletes them all.
Domain apps declare which rows and tokens have prefixes with
``register_prefix_source``.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q

from terabox_crm.crypto import blind_index
from terabox_crm.crypto.models import SearchTerm

log = logging.getLogger(__name__)

# Index length per domain: set from the expected rows of one workspace
# (docs/decisions/0005-blind-index-leakage.md). Registered by domain apps.
_bits: dict[str, int] = {}


def register(domain: str, *, expected_rows: int, min_coincidences: int = 2) -> None:
    """Truncate ``domain``'s terms so that one term is shared by at least
    ``min_coincidences`` of ``expected_rows`` rows on average (2: the
    CipherSweet rule; more for indexes that leak more, such as prefixes)."""
    rows = max(expected_rows * 2 // max(min_coincidences, 2), 16)
    _bits[domain] = blind_index.bits_for(rows)


def bits(domain: str) -> int:
    try:
        return _bits[domain]
    except KeyError:
        raise ValueError(f"search domain {domain!r} is not registered") from None


def term(workspace_id, domain: str, normalised: str) -> int:
    return blind_index.truncated(
        normalised, scope=str(workspace_id), domain=domain, bits=bits(domain)
    )


@transaction.atomic
def replace(workspace_id, domain: str, object_id, normalised_values: Iterable[str]) -> None:
    """Make the row's terms in ``domain`` exactly those of ``normalised_values``."""
    terms = {term(workspace_id, domain, value) for value in normalised_values if value}
    SearchTerm.objects.filter(
        workspace_id=workspace_id, domain=domain, object_id=object_id
    ).delete()
    SearchTerm.objects.bulk_create(
        SearchTerm(workspace_id=workspace_id, domain=domain, term=value, object_id=object_id)
        for value in sorted(terms)
    )


def add(workspace_id, values: dict, *, prefixes: dict | None = None) -> None:
    """Insert the terms of rows created in this transaction, which have none
    to replace: ``values`` maps each row's id to ``{domain: normalised
    values}``; ``prefixes`` maps a domain to ``{row id: name tokens}`` for
    the prefix terms, kept when the workspace has them on.

    One INSERT for every row and domain, so a batch of rows costs what one
    row does; it reads the workspace's prefix setting itself (``_INSERT``),
    under the same lock as ``prefixes_on`` and in the same statement, so the
    prefix terms are decided atomically with their write.
    """
    rows = [
        (domain, value, object_id, False)
        for object_id, by_domain in values.items()
        for domain, normalised in by_domain.items()
        for value in sorted({term(workspace_id, domain, v) for v in normalised if v})
    ]
    for domain, tokens_by_object in (prefixes or {}).items():
        rows += [
            (name, value, object_id, True)
            for name, value, object_id in _prefix_terms(workspace_id, domain, tokens_by_object)
        ]
    if not any(prefix for *_, prefix in rows):
        SearchTerm.objects.bulk_create(
            SearchTerm(workspace_id=workspace_id, domain=d, term=t, object_id=o)
            for d, t, o, _prefix in rows
        )
        return
    for start in range(0, len(rows), ADD_CHUNK):
        _insert_terms(workspace_id, rows[start : start + ADD_CHUNK])


# Rows per INSERT of ``add``: well below SQLite's 32,766 parameters.
ADD_CHUNK = 1000


def _insert_terms(workspace_id, rows: list[tuple]) -> None:
    """``INSERT … SELECT`` of ``rows`` (domain, term, object id, is prefix)
    that keeps the prefix rows only when the workspace has prefix search on.
    On PostgreSQL the setting is read ``FOR KEY SHARE``, as ``prefixes_on``
    explains; SQLite's IMMEDIATE transactions are serialised already."""
    # The connection itself: each read through the ``django.db.connection``
    # proxy looks it up again, which costs more than the rows (hot path).
    connection = connections[DEFAULT_DB_ALIAS]
    field = SearchTerm._meta.get_field
    object_ids = {
        object_id: field("object_id").get_db_prep_value(object_id, connection)
        for object_id in {row[2] for row in rows}
    }
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field(name).column)
        for name in ("workspace_id", "domain", "term", "object_id")
    )
    ws_model = _workspace_model()
    ws_table = connection.ops.quote_name(ws_model._meta.db_table)
    ws_flag = connection.ops.quote_name(ws_model._meta.get_field("name_prefix_search").column)
    ws_pk = connection.ops.quote_name(ws_model._meta.pk.column)
    ws_value = ws_model._meta.pk.get_db_prep_value(workspace_id, connection)
    scope = field("workspace_id").get_db_prep_value(workspace_id, connection)
    params = [
        value
        for domain, term, object_id, _prefix in rows
        for value in (scope, domain, term, object_ids[object_id])
    ]
    if connection.vendor == "postgresql":
        tuples = [
            f"(%s::uuid, %s, %s::bigint, %s::uuid, {'true' if prefix else 'false'})"
            for *_row, prefix in rows
        ]
        sql = (
            f"WITH flag AS (SELECT {ws_flag} AS prefix_on FROM {ws_table}"  # noqa: S608  # nosec B608  # quoted names from the models; values are parameters
            f" WHERE {ws_pk} = %s FOR KEY SHARE)"
            f" INSERT INTO {table} ({columns})"
            f" SELECT v.w, v.d, v.t, v.o FROM (VALUES {', '.join(tuples)}) AS v (w, d, t, o, p)"
            " WHERE NOT v.p OR EXISTS (SELECT 1 FROM flag WHERE flag.prefix_on)"
        )
        params = [ws_value, *params]
    else:
        tuples = [f"(%s, %s, %s, %s, {1 if prefix else 0})" for *_row, prefix in rows]
        sql = (
            f"INSERT INTO {table} ({columns})"  # noqa: S608  # nosec B608  # quoted names from the models; values are parameters
            f" SELECT column1, column2, column3, column4 FROM (VALUES {', '.join(tuples)})"
            f" WHERE column5 = 0 OR (SELECT {ws_flag} FROM {ws_table} WHERE {ws_pk} = %s)"
        )
        params.append(ws_value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def forget(workspace_id, object_id) -> None:
    """Drop every term of a row (deletion, erasure)."""
    SearchTerm.objects.filter(workspace_id=workspace_id, object_id=object_id).delete()


def candidates(workspace_id, domain: str, normalised: str):
    """Ids of rows that may hold ``normalised`` in ``domain`` (a subquery-able queryset)."""
    return SearchTerm.objects.filter(
        workspace_id=workspace_id, domain=domain, term=term(workspace_id, domain, normalised)
    ).values("object_id")


def part_filter(workspace_id, domain: str, whole: str, units) -> Q:
    """A filter on ``pk`` for rows that may hold ``whole``, or every one of
    ``units``, in ``domain``. The words' candidates are intersected by the
    database (``INTERSECT`` of index lookups: two common words, 「さくら」 and
    「物流」 with thousands of rows each, give the few rows with both) and
    passed as ids; an intersection larger than ``MATERIALISE_LIMIT`` stays
    one subquery per word."""
    whole_rows = candidates(workspace_id, domain, whole)
    if tuple(units) == (whole,):
        return id_filter(whole_rows)
    sets = [candidates(workspace_id, domain, unit) for unit in units]
    both = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
    found = list(both.values_list("object_id", flat=True)[: MATERIALISE_LIMIT + 1])
    if len(found) > MATERIALISE_LIMIT:
        every = reduce(operator.and_, (Q(pk__in=rows) for rows in sets))
    else:
        every = Q(pk__in=sorted(found))
    return id_filter(whole_rows) | every


def matching_parts(queryset, workspace_id, domain: str, parts):
    """``queryset`` narrowed to rows answering every part of a business-name
    query (``words.Part``): the part's whole run is a term of the row, or
    every one of its words is. Compare the decrypted rows with ``words.holds``."""
    if not parts:
        return queryset.none()
    for part in parts:
        queryset = queryset.filter(part_filter(workspace_id, domain, part.whole, part.units))
    return queryset


# Up to this many candidates are fetched first and filtered on as a list of
# ids; more are left to the database as a subquery.
MATERIALISE_LIMIT = 5000


def id_filter(*candidate_sets) -> Q:
    """A filter on ``pk`` for rows in any of ``candidate_sets`` (``candidates``
    querysets).

    An email or a rare name has a handful of candidates: they are fetched
    (one indexed query) and passed as ids, so the database looks those rows
    up by primary key. As an ``IN (subquery)`` instead, a planner without
    statistics (SQLite) walks the whole list index in display order and
    tests each row against the subquery: measured at 58 ms for 100,000
    contacts, growing with the table. A common token keeps the subquery:
    its matches are dense, so an ordered scan meets a page of them early.
    """
    ids: set = set()
    for candidate_set in candidate_sets:
        found = list(candidate_set.values_list("object_id", flat=True)[: MATERIALISE_LIMIT + 1])
        if len(found) > MATERIALISE_LIMIT:
            return reduce(operator.or_, (Q(pk__in=c) for c in candidate_sets))
        ids.update(found)
    return Q(pk__in=sorted(ids))


# --- Prefix terms (workspace option ``name_prefix_search``) ---------------------------------

# Prefix lengths. Latin tokens start at 3 letters; kana, kanji and hangul at 2
# characters (one is a syllable or more: at 3 kana typeahead would come only
# when the name is nearly typed). Tokens longer than PREFIX_MAX keep their
# tail out of the index: a longer query is looked up by its first PREFIX_MAX
# characters and compared after decryption.
PREFIX_MAX = 6
PREFIX_MIN_LATIN = 3
PREFIX_MIN_SYLLABIC = 2
# Prefix classes are much larger than whole-token ones and linked to each
# other (docs/decisions/0005): truncate so that a term hides 16+ rows.
PREFIX_MIN_COINCIDENCES = 16


def _syllabic(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
    )


def prefix_min(token: str) -> int:
    """The shortest prefix of ``token`` that gets a term (and may be searched)."""
    return PREFIX_MIN_SYLLABIC if token and _syllabic(token[0]) else PREFIX_MIN_LATIN


def prefix_domain(domain: str, length: int) -> str:
    return f"{domain}.prefix{length}"


def prefix_domains(domain: str) -> list[str]:
    return [prefix_domain(domain, n) for n in range(PREFIX_MIN_SYLLABIC, PREFIX_MAX + 1)]


def register_prefixes(domain: str, *, expected_terms: int) -> None:
    """Register the prefix domains of ``domain`` (one per length, own subkey).

    ``expected_terms`` is the number of *tokens* of a large workspace (rows ×
    tokens per row), the count of terms each prefix length holds.
    """
    for name in prefix_domains(domain):
        register(name, expected_rows=expected_terms, min_coincidences=PREFIX_MIN_COINCIDENCES)


def prefixes(token: str) -> list[str]:
    """The indexed prefixes of one normalised token, shortest first."""
    return [token[:n] for n in range(prefix_min(token), min(len(token), PREFIX_MAX) + 1)]


def _prefix_terms(workspace_id, domain: str, tokens_by_object: dict) -> set[tuple]:
    """``(prefix domain, term, object id)`` of each row's name tokens."""
    terms = set()
    for object_id, tokens in tokens_by_object.items():
        for token in tokens:
            for prefix in prefixes(token):
                name = prefix_domain(domain, len(prefix))
                terms.add((name, term(workspace_id, name, prefix), object_id))
    return terms


def _prefix_rows(workspace_id, domain: str, tokens_by_object: dict) -> list[SearchTerm]:
    return [
        SearchTerm(workspace_id=workspace_id, domain=name, term=value, object_id=object_id)
        for name, value, object_id in _prefix_terms(workspace_id, domain, tokens_by_object)
    ]


@transaction.atomic
def replace_prefixes(workspace_id, domain: str, tokens_by_object: dict) -> None:
    """Make the prefix terms of each row (``{object_id: tokens}``) exactly
    those of its tokens: one DELETE and one INSERT for all the rows."""
    if not tokens_by_object:
        return
    SearchTerm.objects.filter(
        workspace_id=workspace_id,
        domain__in=prefix_domains(domain),
        object_id__in=list(tokens_by_object),
    ).delete()
    SearchTerm.objects.bulk_create(_prefix_rows(workspace_id, domain, tokens_by_object))


def prefix_candidates(workspace_id, domain: str, token: str):
    """Ids of rows with a token that may start with ``token`` (a subquery-able
    queryset), or None when ``token`` is too short to have prefix terms."""
    if len(token) < prefix_min(token):
        return None
    prefix = token[:PREFIX_MAX]
    return candidates(workspace_id, prefix_domain(domain, len(prefix)), prefix)


def prefix_matches(have: Iterable[str], token: str) -> bool:
    """The plaintext check behind ``prefix_candidates``: a token of the row is
    ``token`` or (when ``token`` is long enough to be a prefix) starts with it."""
    long_enough = len(token) >= prefix_min(token)
    return any(mine == token or (long_enough and mine.startswith(token)) for mine in have)


# --- Which rows have prefix terms, and the job that builds or deletes them -----------------


@dataclass(frozen=True)
class PrefixSource:
    """Rows of one model whose name tokens get prefix terms in ``domain``'s prefix domains."""

    label: str
    domain: str
    model: type
    tokens: Callable[[object], Iterable[str]]


_prefix_sources: dict[str, PrefixSource] = {}


def register_prefix_source(
    label: str, *, domain: str, model: type, tokens: Callable[[object], Iterable[str]]
) -> None:
    _prefix_sources[label] = PrefixSource(label, domain, model, tokens)


def prefix_sources() -> list[PrefixSource]:
    return [_prefix_sources[label] for label in sorted(_prefix_sources)]


def _workspace_model():
    return apps.get_model("core", "Workspace")


def prefixes_on(workspace_id) -> bool:
    """Whether the workspace wants prefix terms, for code about to write some.

    Call inside the transaction that writes the row's terms. On PostgreSQL the
    workspace row is read ``FOR KEY SHARE``, so a change of the setting (which
    locks the row ``FOR UPDATE``) waits for this transaction and the job that
    follows it sees its terms; SQLite transactions here are ``IMMEDIATE`` and
    already serialised. Without this, a row saved while the option is being
    turned off could keep prefix terms after the purge.
    """
    model = _workspace_model()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field("name_prefix_search").column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    value = model._meta.pk.get_db_prep_value(workspace_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk} = %s{lock}", [value])  # noqa: S608  # nosec B608  # quoted names from the model; the value is a parameter
        row = cursor.fetchone()
    return bool(row and row[0])


def pending(progress: dict | None) -> bool:
    """Whether the workspace's prefix terms do not match its setting yet."""
    return bool(progress) and not progress.get("done")


# --- Rebuilding whole-token terms (``terabox-crm search reindex``) -------------------------


@dataclass(frozen=True)
class ReindexSource:
    """Rows of one model whose whole-token terms in ``domain`` are
    ``tokens(row)``: what the reindex job rewrites when the way a field is
    split into terms changes (docs/decisions/0010-company-name-search.md)."""

    label: str
    domain: str
    model: type
    tokens: Callable[[object], Iterable[str]]


_reindex_sources: dict[str, ReindexSource] = {}


def register_reindex_source(
    label: str, *, domain: str, model: type, tokens: Callable[[object], Iterable[str]]
) -> None:
    _reindex_sources[label] = ReindexSource(label, domain, model, tokens)


def reindex_sources() -> list[ReindexSource]:
    return [_reindex_sources[label] for label in sorted(_reindex_sources)]


@transaction.atomic
def replace_many(workspace_id, domain: str, tokens_by_object: dict) -> int:
    """Make the terms in ``domain`` of each row (``{object_id: normalised
    values}``) exactly those of its values: one DELETE and one INSERT for all
    the rows. Returns the number of terms written."""
    if not tokens_by_object:
        return 0
    SearchTerm.objects.filter(
        workspace_id=workspace_id, domain=domain, object_id__in=list(tokens_by_object)
    ).delete()
    rows = [
        SearchTerm(workspace_id=workspace_id, domain=domain, term=value, object_id=object_id)
        for object_id, values in tokens_by_object.items()
        for value in sorted({term(workspace_id, domain, v) for v in values if v})
    ]
    SearchTerm.objects.bulk_create(rows, batch_size=ADD_CHUNK)
    return len(rows)
