"""Reads of the audit trail for the UI and the API.

Every read is scoped to one workspace's chain: the caller passes the
workspace, and the system chain (events outside any workspace) is never
returned here. Lists are keyset-paginated on ``seq`` (never OFFSET) and cost
a fixed number of queries whatever their length: events with their encrypted
detail in one query, the subject keys they need in one, the actors in one.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ua_parser import parse as parse_user_agent

from terabox_crm.accounts.models import User
from terabox_crm.audit import actions, targets
from terabox_crm.audit.chain import DetailUnreadable, open_detail
from terabox_crm.audit.models import AuditEvent, Checkpoint
from terabox_crm.core.models import Membership
from terabox_crm.crypto import keyring

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TrailFilters:
    """What the trail is narrowed to; empty values mean "any"."""

    action: str = ""
    security_only: bool = False
    actor_id: uuid.UUID | None = None
    object_id: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class DetailState:
    NONE = "none"  # the event carries no personal side
    OK = "ok"
    ERASED = "erased"  # the subject's key was destroyed (crypto-shredded)
    UNREADABLE = "unreadable"  # the ciphertext fails authentication (tampered)


@dataclass
class TrailEntry:
    """One event as the trail shows it; personal values already decrypted."""

    event: AuditEvent
    label: str
    is_security: bool
    actor_label: str = ""
    detail_state: str = DetailState.NONE
    ip: str = ""
    user_agent: str = ""
    device: str = ""
    personal: list[tuple[str, object, object, object]] = field(default_factory=list)
    # What the event is about, named for the reader (audit/targets.py).
    target: targets.Target | None = None

    @property
    def erased(self) -> bool:
        return self.detail_state == DetailState.ERASED


def chain_of(workspace) -> str:
    return str(workspace.pk)


def events_of(workspace, filters: TrailFilters | None = None) -> QuerySet[AuditEvent]:
    """The events of ``workspace``'s chain matching ``filters``, newest first."""
    filters = filters or TrailFilters()
    qs = AuditEvent.objects.filter(chain=chain_of(workspace))
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.security_only:
        qs = qs.filter(action__startswith="security.")
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        start = datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=tz)
        qs = qs.filter(created_at__gte=start)
    if filters.date_to:
        end = datetime.datetime.combine(
            filters.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        qs = qs.filter(created_at__lt=end)
    return qs.order_by("-seq")


@dataclass
class TrailPage:
    entries: list[TrailEntry]
    next_before: int | None  # pass as ``before`` for the next (older) page


def trail_page(
    *,
    workspace,
    filters: TrailFilters | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
    decrypt: bool = True,
    membership=None,
) -> TrailPage:
    """One page of the trail, older than ``seq`` ``before`` when given."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    qs = events_of(workspace, filters).select_related("detail")
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    entries = present(rows, decrypt=decrypt, membership=membership)
    return TrailPage(entries, rows[-1].seq if has_more else None)


def event_in(workspace, event_hash: str) -> AuditEvent | None:
    """One event of ``workspace``'s chain by its hash, or None: another chain's
    event is simply not found."""
    return (
        AuditEvent.objects.filter(chain=chain_of(workspace), hash=event_hash)
        .select_related("detail")
        .first()
    )


def covering_checkpoint(event: AuditEvent) -> Checkpoint | None:
    """The first signed checkpoint at or after ``event`` (it vouches for it)."""
    return Checkpoint.objects.filter(chain=event.chain, seq__gte=event.seq).order_by("seq").first()


def actor_labels(actor_ids) -> dict:
    """Display labels of users by id, in one query (decrypted in memory)."""

    ids = {actor_id for actor_id in actor_ids if actor_id}
    if not ids:
        return {}
    return {
        user.pk: user.label
        for user in User.objects.filter(pk__in=ids).only("id", "email", "display_name")
    }


@lru_cache(maxsize=512)
def _browser_and_system(user_agent: str) -> tuple[str, str]:
    # Parsing costs ~10 µs and a page repeats the same few browsers: cached.
    result = parse_user_agent(user_agent)
    browser = system = ""
    if result.user_agent:
        browser = " ".join(filter(None, (result.user_agent.family, result.user_agent.major)))
    if result.os:
        system = " ".join(filter(None, (result.os.family, result.os.major)))
    if result.device and result.device.family not in ("", "Other"):
        system = f"{system} ({result.device.family})" if system else result.device.family
    return browser, system


def device_label(user_agent: str) -> str:
    """ "Chrome 120 on Windows 10" from a user agent, translated; "" when none."""
    if not user_agent:
        return ""
    browser, system = _browser_and_system(user_agent[:512])
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


def personal_rows(personal) -> list[tuple[str, object, object, object]]:
    """``(field, before, after, value)`` rows from an event's ``personal`` dict.

    Callers record either ``{"before": x, "after": y}``, ``{"field": {"before":
    x, "after": y}}`` or plain ``{"field": value}``; all read as a table.
    """
    if not isinstance(personal, dict):
        return []
    if set(personal) <= {"before", "after"} and personal:
        return [("", personal.get("before"), personal.get("after"), None)]
    rows = []
    for name, value in sorted(personal.items()):
        if isinstance(value, dict) and set(value) <= {"before", "after"} and value:
            rows.append((name, value.get("before"), value.get("after"), None))
        else:
            rows.append((name, None, None, value))
    return rows


def _open(entry: TrailEntry, event: AuditEvent) -> None:
    try:
        detail = event.detail
    except AuditEvent.detail.RelatedObjectDoesNotExist:
        return
    try:
        opened = open_detail(detail, event=event)
    except DetailUnreadable:
        entry.detail_state = DetailState.UNREADABLE
        return
    if opened is None:
        entry.detail_state = DetailState.ERASED
        return
    entry.detail_state = DetailState.OK
    entry.ip = opened.get("ip") or ""
    entry.user_agent = opened.get("user_agent") or ""
    entry.device = device_label(entry.user_agent)
    entry.personal = personal_rows(opened.get("personal"))


def present(rows: list[AuditEvent], *, decrypt: bool = True, membership=None) -> list[TrailEntry]:
    """Turn events (fetched with ``select_related("detail")``) into trail entries;
    their targets are named for ``membership`` (one query per kind of record)."""

    labels = actor_labels(event.actor_id for event in rows)
    if decrypt:
        keyring.preload(event.detail.key_id for event in rows if _has_detail(event))
    entries = []
    for event in rows:
        event_type = actions.all_types().get(event.action)
        entry = TrailEntry(
            event=event,
            label=str(event_type.label) if event_type else event.action,
            is_security=event.action.startswith("security."),
            actor_label=labels.get(event.actor_id, "") if event.actor_id else "",
        )
        if decrypt:
            _open(entry, event)
        entries.append(entry)
    described = targets.describe(membership, ((e.object_type, e.object_id) for e in rows))
    for entry in entries:
        entry.target = described.get((entry.event.object_type, entry.event.object_id))
    return entries


def _has_detail(event: AuditEvent) -> bool:
    try:
        event.detail  # noqa: B018 - reads the select_related cache
    except AuditEvent.detail.RelatedObjectDoesNotExist:
        return False
    return True


def event_type_choices() -> list[tuple[str, str]]:
    """Every registered event type as ``(action, translated label)``, by label."""
    return sorted(
        ((action, str(event_type.label)) for action, event_type in actions.all_types().items()),
        key=lambda pair: pair[1],
    )


def member_choices(workspace) -> list[tuple[str, str]]:
    """The workspace's members as ``(user id, label)`` for the actor filter."""
    from django_scopes import scopes_disabled

    # Explicitly filtered to ``workspace``; the scope is lifted so that the API
    # and jobs, which may run without an active scope, read the same list.
    with scopes_disabled():
        memberships = list(Membership.objects.filter(workspace=workspace).select_related("user"))
    return sorted(
        ((str(m.user_id), m.user.label) for m in memberships), key=lambda pair: pair[1].lower()
    )
