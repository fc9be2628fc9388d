"""Reads of companies and contacts: lists with keyset pages, global search,
possible duplicates and a contact's timeline.

Lists never use OFFSET and never count the whole table: a page fetches
``limit + 1`` rows to know whether there is more ("50+"). Every list
prefetches what its rows show (emails, phones, tags, owner, company) and
loads the workspace's data keys with one query, so its query count does not
grow with the page size.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q

from terabox_crm.audit import actions as audit_actions
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import search
from terabox_crm.contacts.models import (
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    SavedView,
    Source,
    Stage,
    Tag,
)
from terabox_crm.core import policy
from terabox_crm.crypto import keyring, normalise
from terabox_crm.crypto.models import DataKey
from terabox_crm.lists import anatomy

SORTS = ("-created_at", "created_at", "-updated_at", "updated_at")
PAGE_SIZE = 50


class BadFilter(ValueError):
    """A filter value that is not an id or code (the API answers 400)."""


def _uuid_or_bad(value: str, name: str):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadFilter(name) from None


@dataclass
class ContactFilters:
    stage: str = ""
    owner: uuid.UUID | None = None
    tag: uuid.UUID | None = None
    company: uuid.UUID | None = None
    source: str = ""
    q: str = ""
    email: str = ""
    phone: str = ""
    sort: str = "-created_at"

    @classmethod
    def from_params(cls, params, *, strict: bool = False) -> ContactFilters:
        """From query parameters; ``strict`` raises ``BadFilter`` on malformed
        values (API), otherwise they are ignored (web page)."""
        filters = cls()
        for name in ("owner", "tag", "company"):
            value = params.get(name) or ""
            if value:
                try:
                    setattr(filters, name, _uuid_or_bad(value, name))
                except BadFilter:
                    if strict:
                        raise
        stage = params.get("stage") or ""
        if stage and stage not in Stage.values:
            if strict:
                raise BadFilter("stage")
            stage = ""
        filters.stage = stage
        source = params.get("source") or ""
        if source and source not in Source.values:
            if strict:
                raise BadFilter("source")
            source = ""
        filters.source = source
        sort = params.get("sort") or "-created_at"
        if sort not in SORTS:
            if strict:
                raise BadFilter("sort")
            sort = "-created_at"
        filters.sort = sort
        filters.q = (params.get("q") or "").strip()[:200]
        filters.email = (params.get("email") or "").strip()[:200]
        filters.phone = (params.get("phone") or "").strip()[:200]
        return filters

    def as_params(self) -> dict[str, str]:
        values = {
            "stage": self.stage,
            "owner": self.owner,
            "tag": self.tag,
            "company": self.company,
            "source": self.source,
            "q": self.q,
            "sort": self.sort if self.sort != "-created_at" else "",
        }
        return {k: str(v) for k, v in values.items() if v}


def preload_keys(workspace_id) -> None:
    """Load every data key of the workspace with one query (decrypting a page)."""
    keyring.preload(
        DataKey.objects.filter(scope=str(workspace_id)).values_list("key_id", flat=True)
    )


def contacts_for_list(membership):
    return (
        Contact.objects.visible_to(membership)
        .select_related("owner", "company", "team")
        .prefetch_related(
            Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
            Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
    )


def companies_for_list(membership):
    return (
        Company.objects.visible_to(membership)
        .select_related("owner", "team")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


def _contact_matches(contact, kind: str, value) -> bool:
    if kind == "email":
        return search.contact_has_email(contact, value)
    if kind == "phone":
        return search.contact_has_phone(contact, value)
    return search.contact_has_tokens(contact, value)


def filter_contacts(queryset, membership, filters: ContactFilters):
    """Apply the id/code filters and the blind-index searches; return
    ``(queryset, checks)`` where checks are ``(kind, value)`` pairs each row
    must pass after decryption."""
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.tag:
        queryset = queryset.filter(tags__id=filters.tag)
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    checks = []
    ws = membership.workspace_id
    if filters.email:
        try:
            value = normalise.email(filters.email)
        except ValueError:
            return queryset.none(), checks
        queryset = search.matching(queryset, ws, search.CONTACT_EMAIL, [value])
        checks.append(("email", value))
    if filters.phone:
        try:
            value = normalise.phone(filters.phone)
        except ValueError:
            return queryset.none(), checks
        queryset = search.matching(queryset, ws, search.CONTACT_PHONE, [value])
        checks.append(("phone", value))
    if filters.q:
        kind, value = search.classify(filters.q)
        domain = {"email": search.CONTACT_EMAIL, "phone": search.CONTACT_PHONE}.get(
            kind, search.CONTACT_NAME
        )
        queryset = search.matching(queryset, ws, domain, [value] if kind != "tokens" else value)
        checks.append((kind, value))
    return queryset, checks


# --- Keyset pages -------------------------------------------------------------------------


@dataclass
class Page:
    rows: list
    next_cursor: str = ""
    has_more: bool = False
    filters: ContactFilters | None = None


def encode_cursor(value: datetime, pk) -> str:
    return base64.urlsafe_b64encode(f"{value.isoformat()}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """``None`` for a cursor that does not decode (the page starts again)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, pk = text.split("|", 1)
        return datetime.fromisoformat(stamp), uuid.UUID(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def keyset_page(queryset, *, sort: str, cursor: str = "", limit: int = PAGE_SIZE, checks=()):
    name = sort.lstrip("-")
    descending = sort.startswith("-")
    order = (sort, "-id" if descending else "id")
    queryset = queryset.order_by(*order)
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        stamp, pk = position
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{name}__{op}": stamp}) | Q(**{name: stamp, f"id__{op}": pk})
        )
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], name), rows[-1].pk) if has_more else ""
    if checks:
        rows = [row for row in rows if all(_contact_matches(row, k, v) for k, v in checks)]
    return Page(rows=rows, next_cursor=next_cursor, has_more=has_more)


def contact_page(membership, filters: ContactFilters, *, cursor: str = "", limit: int = PAGE_SIZE):
    queryset, checks = filter_contacts(contacts_for_list(membership), membership, filters)
    preload_keys(membership.workspace_id)
    page = keyset_page(queryset, sort=filters.sort, cursor=cursor, limit=limit, checks=checks)
    page.filters = filters
    return page


def contact_list_page(
    membership, filters: ContactFilters, sort: anatomy.Sort, *, cursor: str = ""
) -> tuple[Page, anatomy.Count]:
    """The contact list's page in a column header's order (``lists.anatomy``)
    and its count: capped at ``anatomy.COUNT_CAP``, and "about" when a
    search's blind-index candidates are checked only after decryption."""
    queryset, checks = filter_contacts(contacts_for_list(membership), membership, filters)
    count = anatomy.capped_count(queryset, estimated=bool(checks))
    preload_keys(membership.workspace_id)
    found = anatomy.keyset(queryset, sort, cursor=cursor)
    rows = found.rows
    if checks:
        rows = [row for row in rows if all(_contact_matches(row, k, v) for k, v in checks)]
    page = Page(rows=rows, next_cursor=found.next_cursor, has_more=found.has_more, filters=filters)
    return page, count


def company_list_page(
    membership, *, q: str, sort: anatomy.Sort, cursor: str = "", owner=None, tag=None
) -> tuple[Page, anatomy.Count]:
    """The company list's page in a column header's order, and its count."""
    queryset = companies_for_list(membership)
    for name, value in (("owner_id", owner), ("tags__id", tag)):
        if value:
            with contextlib.suppress(ValueError):
                queryset = queryset.filter(**{name: uuid.UUID(str(value))})
    parts = search.company_query(q) if q else []
    if parts:
        queryset = search.matching_parts(
            queryset, membership.workspace_id, search.COMPANY_NAME, parts
        )
    count = anatomy.capped_count(queryset, estimated=bool(parts))
    preload_keys(membership.workspace_id)
    found = anatomy.keyset(queryset, sort, cursor=cursor)
    rows = found.rows
    if parts:
        rows = [row for row in rows if search.company_has_parts(row, parts)]
    return Page(rows=rows, next_cursor=found.next_cursor, has_more=found.has_more), count


def company_page(
    membership,
    *,
    q: str = "",
    sort: str = "-created_at",
    cursor: str = "",
    owner=None,
    tag=None,
    limit: int = PAGE_SIZE,
) -> Page:
    """A keyset page of visible companies; ``owner``/``tag`` are ids (malformed: ignored)."""
    queryset = companies_for_list(membership)
    for name, value in (("owner_id", owner), ("tags__id", tag)):
        if value:
            with contextlib.suppress(ValueError):
                queryset = queryset.filter(**{name: uuid.UUID(str(value))})
    parts = search.company_query(q) if q else []
    if parts:
        queryset = search.matching_parts(
            queryset, membership.workspace_id, search.COMPANY_NAME, parts
        )
    preload_keys(membership.workspace_id)
    page = keyset_page(
        queryset, sort=sort if sort in SORTS else "-created_at", cursor=cursor, limit=limit
    )
    if parts:
        page.rows = [row for row in page.rows if search.company_has_parts(row, parts)]
    return page


def _name_key(text: str) -> str:
    """A name as compared by the company picker: folded, without spaces or punctuation."""
    return "".join(normalise.name_tokens(text or ""))


def company_is_named(company: Company, text: str) -> bool:
    """True when ``text`` is the company's name or reading, ignoring case,
    width, kana kind, spaces and punctuation (``ｔｅｒａ　ＢＯＸ`` is ``Tera Box``)."""
    key = _name_key(text)
    return bool(key) and key in (_name_key(company.name), _name_key(company.name_kana))


def company_matches(membership, query: str, *, limit: int = 20) -> list[Company]:
    """Visible companies found by the company list's search for ``query``
    (every word of the name or reading, legal forms ignored), at most
    ``limit``, the ones named exactly ``query`` first; none for a query
    without words."""
    query = (query or "").strip()[:200]
    if not search.company_query(query):
        return []
    rows = company_page(membership, q=query, limit=limit).rows
    rows.sort(key=lambda company: not company_is_named(company, query))  # stable: newest next
    return rows


# --- Global search ------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    kind: str = "tokens"
    contacts: list = field(default_factory=list)
    companies: list = field(default_factory=list)


def global_search(
    membership, query: str, *, limit: int = 20, prefix: bool | None = None
) -> SearchResults:
    """Contacts and companies matching ``query`` that ``membership`` may see.

    An email → exact email lookup; a phone number → exact phone lookup
    (``+81`` or ``0``, full-width digits, any separators); anything else →
    every whole token must match a name or kana reading (AND) — or, where
    the workspace turned prefix search on (``prefix`` defaults to its
    setting), every token must start a name token. Candidates come from
    blind indexes and are decrypted and compared before they show.
    """
    query = (query or "").strip()[:200]
    results = SearchResults(query=query)
    if not query:
        return results
    kind, value = search.classify(query)
    results.kind = kind
    ws = membership.workspace_id
    preload_keys(ws)
    if kind == "tokens" and not value:
        return results
    contacts = contacts_for_list(membership).order_by("-created_at")
    companies = companies_for_list(membership).order_by("-created_at")
    values = value if kind == "tokens" else [value]
    if kind == "email":
        contacts = search.matching(contacts, ws, search.CONTACT_EMAIL, values)
        companies = companies.none()
    elif kind == "phone":
        contacts = search.matching(contacts, ws, search.CONTACT_PHONE, values)
        companies = search.matching(companies, ws, search.COMPANY_PHONE, values)
    elif prefix if prefix is not None else membership.workspace.name_prefix_search:
        # A prefix term is shared by 16+ rows by design: look at more candidates.
        window = max(limit * 8, 60)
        contacts = search.matching_prefixes(contacts, ws, search.CONTACT_NAME, values)
        companies = search.matching_prefixes(companies, ws, search.COMPANY_NAME, values)
        results.contacts = [
            c
            for c in contacts[:window]
            if search.has_prefixes(search.contact_name_tokens(c), values)
        ][:limit]
        results.companies = [
            c
            for c in companies[:window]
            if search.has_prefixes(search.company_name_tokens(c), values)
        ][:limit]
        return results
    else:
        contacts = search.matching(contacts, ws, search.CONTACT_NAME, values)
        parts = search.company_query(query)
        companies = search.matching_parts(companies, ws, search.COMPANY_NAME, parts)
    results.contacts = [c for c in contacts[: limit * 2] if _contact_matches(c, kind, value)][
        :limit
    ]
    if kind == "phone":
        found = [c for c in companies[: limit * 2] if search.company_has_phone(c, value)]
    else:
        found = [c for c in companies[: limit * 2] if search.company_has_parts(c, parts)]
    results.companies = found[:limit]
    return results


# --- The search page: one table of every kind of record ----------------------------------


@dataclass
class SearchRow:
    """One row of the search page: what it is, its name and link, its company,
    an email or phone to reach it, its owner (SPEC §2 search; the columns of
    the page's table)."""

    kind: str  # "contact", "company", "deal", "ticket"
    name: str
    url: str
    record: object = None
    company: object = None  # a Company, or None
    reach: str = ""  # an email or a phone number
    reach_is_phone: bool = False
    owner: object = None


# Other kinds of record on the search page (deals, tickets): registered by
# their apps, which sit above contacts (docs/architecture.md), as
# ``provider(membership, query, results) -> list[SearchRow]``; ``results``
# holds the contacts and companies found, for records found through them.
_search_providers: list = []


def register_search_provider(provider) -> None:
    if provider not in _search_providers:
        _search_providers.append(provider)


def search_rows(membership, query: str, *, limit: int = 20) -> tuple[SearchResults, list]:
    """The search page's rows: contacts, companies (only for members who may
    see companies), then each registered kind, every row one the member may
    read."""
    from django.urls import reverse

    results = global_search(membership, query, limit=limit)
    if not policy.can(membership, "companies.view"):
        results.companies = []
    rows = []
    for contact in results.contacts:
        email, phone = contact.primary_email, contact.primary_phone
        rows.append(
            SearchRow(
                "contact",
                contact.display_name,
                reverse("contacts:detail", args=[contact.pk]),
                record=contact,
                company=contact.company,
                reach=email or phone,
                reach_is_phone=not email and bool(phone),
                owner=contact.owner,
            )
        )
    for company in results.companies:
        rows.append(
            SearchRow(
                "company",
                company.name,
                reverse("companies:detail", args=[company.pk]),
                record=company,
                reach=company.phone,
                reach_is_phone=bool(company.phone),
                owner=company.owner,
            )
        )
    if results.query and results.kind == "tokens":
        for provider in _search_providers:
            rows += provider(membership, results.query, results)
    return results, rows


# --- Duplicates ---------------------------------------------------------------------------


def possible_duplicates(
    membership,
    *,
    emails=(),
    phones=(),
    name_tokens=(),
    company_id=None,
    exclude_id=None,
    limit: int = 10,
) -> list[Contact]:
    """Visible contacts sharing an email or phone (blind index, then compared),
    or all name tokens and the same company."""
    ws = membership.workspace_id
    found: dict = {}
    norm_emails = {e for e in (search._safe(normalise.email, x) for x in emails) if e}
    norm_phones = {p for p in (search._safe(normalise.phone, x) for x in phones) if p}
    ids: set = set()
    for value in norm_emails:
        ids |= search.candidate_ids(ws, search.CONTACT_EMAIL, value)
    for value in norm_phones:
        ids |= search.candidate_ids(ws, search.CONTACT_PHONE, value)
    tokens = sorted(set(name_tokens))
    name_ids = set()
    if tokens and company_id:
        # Same name at the same company: the database narrows by company and
        # tokens together (a common family name alone may have many rows).
        same_name = search.matching(
            Contact.objects.filter(company_id=company_id), ws, search.CONTACT_NAME, tokens
        )
        name_ids = set(same_name.values_list("pk", flat=True)[: limit * 3])
    ids |= name_ids
    ids.discard(exclude_id)
    if not ids:
        return []
    preload_keys(ws)
    for contact in contacts_for_list(membership).filter(pk__in=ids)[: limit * 3]:
        same_contact = any(search.contact_has_email(contact, e) for e in norm_emails) or any(
            search.contact_has_phone(contact, p) for p in norm_phones
        )
        same_name = (
            contact.pk in name_ids
            and str(contact.company_id) == str(company_id)
            and search.contact_has_tokens(contact, tokens)
        )
        if same_contact or same_name:
            found[contact.pk] = contact
    return list(found.values())[:limit]


def duplicates_of(membership, contact: Contact) -> list[Contact]:
    return possible_duplicates(
        membership,
        emails=[e.value for e in contact.emails.all()],
        phones=[p.value for p in contact.phones.all()],
        name_tokens=search.contact_name_tokens(contact),
        company_id=contact.company_id,
        exclude_id=contact.pk,
    )


# --- One record ---------------------------------------------------------------------------


def timeline(record: Contact | Company, *, limit: int = 50) -> list[dict]:
    """The record's audit events, newest first (activities join later)."""
    rows = AuditEvent.objects.filter(
        chain=str(record.workspace_id), object_id=str(record.pk)
    ).order_by("-seq")[:limit]
    return [
        {
            "at": event.created_at,
            "action": event.action,
            "label": audit_actions.label(event.action),
            "fields": [_field_label(type(record), name) for name in _fields_of(event)],
        }
        for event in rows
    ]


def _fields_of(event) -> list[str]:
    fields = (event.payload or {}).get("fields", [])
    return [str(name) for name in fields] if isinstance(fields, list) else []


def _field_label(model, name: str) -> str:
    """A changed field's name as the reader says it (``given_name`` → 名)."""
    from django.core.exceptions import FieldDoesNotExist

    if name in ("emails", "phones"):
        return (
            str(ContactEmail._meta.get_field("value").verbose_name)
            if name == "emails"
            else (str(ContactPhone._meta.get_field("value").verbose_name))
        )
    try:
        return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name


COMPANY_CONTACTS_LIMIT = 20


def company_contacts(
    membership, company: Company, *, limit: int = COMPANY_CONTACTS_LIMIT
) -> tuple[list[Contact], bool]:
    """A company page's contacts table: the newest ``limit`` contacts of the
    company this member may read, and whether there are more (the table then
    links to the contact list filtered by the company). A fixed number of
    queries however many contacts the company has: rows with owner, emails
    and phones prefetched, and one for the keys."""
    rows = list(
        Contact.objects.visible_to(membership)
        .filter(company=company)
        .select_related("owner")
        .prefetch_related(
            Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
            Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
        )
        .order_by("-created_at", "-id")[: limit + 1]
    )
    preload_keys(membership.workspace_id)
    return rows[:limit], len(rows) > limit


def saved_views_of(membership) -> list[SavedView]:
    return list(
        SavedView.objects.filter(workspace_id=membership.workspace_id, user_id=membership.user_id)
    )


def tag_choices(membership) -> list[tuple[str, str]]:
    """The workspace's tags as (id, name), by name: the bulk bar's "Add tag" /
    "Remove tag" choices on every tagged list."""
    return [
        (str(pk), name)
        for pk, name in Tag.objects.filter(workspace_id=membership.workspace_id)
        .order_by("name")
        .values_list("pk", "name")
    ]
