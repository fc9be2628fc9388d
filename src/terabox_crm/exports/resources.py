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

Rows are read in batches by primary key (``batches``), never all at once: a
batch is one query for the rows plus one per prefetched relation, whatever
its size, so the query count grows with the number of batches only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.activities.models import Activity
from terabox_crm.contacts import search
from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.deals import selectors as deal_selectors
from terabox_crm.deals.models import Deal
from terabox_crm.refusals import Refusal
from terabox_crm.support import selectors as ticket_selectors
from terabox_crm.support.models import Status as TicketStatus
from terabox_crm.support.models import Ticket

BATCH = 2_000


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy translation
    value: Callable[[object], object]


@dataclass(frozen=True)
class Selection:
    """The rows an export reads: ``queryset`` in the workspace, visible to the
    requester, and ``keep`` for the checks only decrypted values answer
    (a searched name or address: blind-index candidates are confirmed)."""

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

    def column_keys(self) -> list[str]:
        return [column.key for column in self.columns]

    def columns_for(self, keys) -> list[Column]:
        wanted = set(keys or ())
        return [column for column in self.columns if not wanted or column.key in wanted]

    def subject_of(self, row):
        if self.subject_field is None:
            return None
        return getattr(row, self.subject_field)


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
    return value.isoformat() if value else ""


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


CONTACT_COLUMNS = (
    Column("id", _("ID"), lambda c: str(c.pk)),
    Column("family_name", _("Family name"), lambda c: c.family_name),
    Column("given_name", _("Given name"), lambda c: c.given_name),
    Column("family_name_kana", _("Family name (kana)"), lambda c: c.family_name_kana),
    Column("given_name_kana", _("Given name (kana)"), lambda c: c.given_name_kana),
    Column("email", _("Email"), lambda c: c.primary_email),
    Column("phone", _("Phone"), lambda c: c.primary_phone),
    Column("company", _("Company"), lambda c: c.company.name if c.company_id else ""),
    Column("job_title", _("Job title"), lambda c: c.job_title),
    Column("stage", _("Stage"), lambda c: c.get_stage_display()),
    Column("source", _("Source"), lambda c: c.get_source_display()),
    Column("owner", _("Owner"), lambda c: _user(c.owner)),
    Column("tags", _("Tags"), lambda c: ", ".join(tag.name for tag in c.tags.all())),
    Column("notes", _("Notes"), lambda c: c.notes),
    Column("created_at", _("Created"), lambda c: _when(c.created_at)),
    Column("updated_at", _("Updated"), lambda c: _when(c.updated_at)),
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


COMPANY_COLUMNS = (
    Column("id", _("ID"), lambda c: str(c.pk)),
    Column("name", _("Name"), lambda c: c.name),
    Column("name_kana", _("Name (kana)"), lambda c: c.name_kana),
    Column("website", _("Website"), lambda c: c.website),
    Column("phone", _("Phone"), lambda c: c.phone),
    Column("postal_code", _("Postal code"), lambda c: c.postal_code),
    Column("region", _("Prefecture or region"), lambda c: c.region),
    Column("city", _("City"), lambda c: c.city),
    Column("street", _("Street address"), lambda c: c.street),
    Column("industry", _("Industry"), lambda c: c.industry),
    Column("owner", _("Owner"), lambda c: _user(c.owner)),
    Column("tags", _("Tags"), lambda c: ", ".join(tag.name for tag in c.tags.all())),
    Column("notes", _("Notes"), lambda c: c.notes),
    Column("created_at", _("Created"), lambda c: _when(c.created_at)),
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
    return Selection(queryset.select_related("pipeline", "stage", "owner", "company", "contact"))


DEAL_COLUMNS = (
    Column("id", _("ID"), lambda d: str(d.pk)),
    Column("name", _("Name"), lambda d: d.name),
    Column("pipeline", _("Pipeline"), lambda d: d.pipeline.name),
    Column("stage", _("Stage"), lambda d: d.stage.name),
    Column("amount", _("Amount"), lambda d: "" if d.amount is None else str(d.amount)),
    Column("currency", _("Currency"), lambda d: d.currency),
    Column("expected_close_date", _("Expected close date"), lambda d: _when(d.expected_close_date)),
    Column("probability", _("Probability (%)"), lambda d: _text(d.probability)),
    Column("company", _("Company"), lambda d: d.company.name if d.company_id else ""),
    Column("contact", _("Contact"), lambda d: d.contact.display_name if d.contact_id else ""),
    Column("owner", _("Owner"), lambda d: _user(d.owner)),
    Column("created_at", _("Created"), lambda d: _when(d.created_at)),
    Column("closed_at", _("Closed"), lambda d: _when(d.closed_at)),
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
    return Selection(queryset.select_related("assignee", "contact", "company"))


TICKET_COLUMNS = (
    Column("id", _("ID"), lambda t: str(t.pk)),
    Column("number", _("Number"), lambda t: t.number),
    Column("subject", _("Subject"), lambda t: t.subject),
    Column("status", _("Status"), lambda t: t.get_status_display()),
    Column("priority", _("Priority"), lambda t: t.get_priority_display()),
    Column("contact", _("Contact"), lambda t: t.contact.display_name if t.contact_id else ""),
    Column("company", _("Company"), lambda t: t.company.name if t.company_id else ""),
    Column("assignee", _("Assignee"), lambda t: _user(t.assignee)),
    Column("description", _("Description"), lambda t: t.description),
    Column("created_at", _("Created"), lambda t: _when(t.created_at)),
    Column("resolution_due_at", _("Resolution due"), lambda t: _when(t.resolution_due_at)),
    Column("resolved_at", _("Resolved"), lambda t: _when(t.resolved_at)),
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
    return Selection(queryset.select_related("owner", "contact", "company", "deal"))


ACTIVITY_COLUMNS = (
    Column("id", _("ID"), lambda a: str(a.pk)),
    Column("kind", _("Kind"), lambda a: a.get_kind_display()),
    Column("occurred_at", _("When"), lambda a: _when(a.occurred_at)),
    Column("subject", pgettext_lazy("activity", "Subject"), lambda a: a.subject),
    Column("body", _("Details"), lambda a: a.body),
    Column("duration_minutes", _("Duration (minutes)"), lambda a: _text(a.duration_minutes)),
    Column("contact", _("Contact"), lambda a: a.contact.display_name if a.contact_id else ""),
    Column("company", _("Company"), lambda a: a.company.name if a.company_id else ""),
    Column("deal", _("Deal"), lambda a: a.deal.name if a.deal_id else ""),
    Column("owner", _("Owner"), lambda a: _user(a.owner)),
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


def batches(queryset: QuerySet, *, size: int = BATCH) -> Iterator[list]:
    """The rows of ``queryset`` in batches of ``size``, keyset by primary key:
    each batch is one query (plus its prefetches), never an OFFSET, never
    the whole table in memory."""
    last = None
    ordered = queryset.order_by("pk")
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1].pk


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
