"""Who is affected (S13): computed from the audit trail.

The people and records a compromised account (or its API tokens) read,
exported or changed in the incident's window: every event of that actor in
the workspace's chain between ``window_start`` and ``window_end`` (for a
token, only events that came through the API). Two things name a person on
an event:

* the record it is about (``object_type``/``object_id``): a contact is a
  person, a user account a user, anything else a record;
* the key its personal detail is encrypted under (``AuditDetail.subject``):
  ``audit.record(subject_id=…)`` names the person an event concerns.

Counted in the database (grouped, never one row per event), stored as
``AffectedItem`` ids with how many events touched each and when; a rerun
keeps the decisions staff already took. The compromised account itself is
affected too (its holder is told).
"""

from __future__ import annotations

import uuid

from django.db.models import Count, Max, Min
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.incidents.models import AffectedItem, AffectedKind, Source
from terabox_crm.privacy import gate, subjects

PERSON_TYPES = {"contacts.contact"}
USER_TYPES = {"accounts.user"}
# Security events (failed sign-ins, denials) are about the account, not data it read.
OWN_ACCOUNT_PREFIXES = ("security.",)
# Records that are not data about anyone (the incident register itself, tokens …).
IGNORED_TYPES = {
    "incidents.incident",
    "accounts.usersession",
    "accounts.device",
    "api.apitoken",
    "privacy.purpose",
}
BATCH = 1_000


def _events(incident):
    events = AuditEvent.objects.filter(
        chain=str(incident.workspace_id), actor_id=incident.source_user_id
    )
    if incident.window_start:
        events = events.filter(created_at__gte=incident.window_start)
    if incident.window_end:
        events = events.filter(created_at__lte=incident.window_end)
    if incident.source == Source.TOKEN:
        events = events.filter(channel="api")
    for prefix in OWN_ACCOUNT_PREFIXES:
        events = events.exclude(action__startswith=prefix)
    return events


def _kind(object_type: str) -> str:
    if object_type in PERSON_TYPES:
        return AffectedKind.PERSON
    if object_type in USER_TYPES:
        return AffectedKind.USER
    return AffectedKind.RECORD


def _as_uuid(value: str):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def found(incident) -> dict[tuple[str, str], dict]:
    """``{(object_type, object_id): {kind, events, first_at, last_at}}``."""
    rows: dict[tuple[str, str], dict] = {}

    def add(key, kind, events, first, last):
        row = rows.get(key)
        if row is None:
            rows[key] = {"kind": kind, "events": events, "first_at": first, "last_at": last}
        else:
            row["events"] = max(row["events"], events)
            row["first_at"] = min(row["first_at"], first)
            row["last_at"] = max(row["last_at"], last)

    if incident.source_user_id is None:
        return rows
    events = _events(incident)
    by_object = (
        events.exclude(object_id="")
        .exclude(object_type__in=IGNORED_TYPES)
        .values("object_type", "object_id")
        .annotate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
        .order_by()
    )
    for row in by_object.iterator(chunk_size=BATCH):
        kind = _kind(row["object_type"])
        add((row["object_type"], row["object_id"]), kind, row["n"], row["first"], row["last"])
    by_subject = (
        events.filter(detail__isnull=False)
        .values("detail__subject")
        .annotate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
        .order_by()
    )
    named: dict[uuid.UUID, dict] = {}
    for row in by_subject.iterator(chunk_size=BATCH):
        subject_id = _as_uuid(row["detail__subject"].removeprefix("subject:"))
        if subject_id is not None and subject_id != incident.source_user_id:
            named[subject_id] = row
    ids = list(named)
    users = set()
    for start in range(0, len(ids), BATCH):
        users |= set(
            User.objects.filter(pk__in=ids[start : start + BATCH]).values_list("pk", flat=True)
        )
    others = [subject_id for subject_id in ids if subject_id not in users]
    # A person is a subject the privacy engine knows (a contact), or one it
    # says is gone for a reason of its own (erased): the gate refuses them
    # later, on the record. Other keys (a company's, say) name no person.
    people = subjects.existing(incident.workspace_id, others) | set(
        gate.refusal_sources(incident.workspace_id, others)
    )
    for subject_id, row in named.items():
        if subject_id in users:
            key, kind = ("accounts.user", str(subject_id)), AffectedKind.USER
        elif subject_id in people:
            key, kind = ("contacts.contact", str(subject_id)), AffectedKind.PERSON
        else:
            continue
        add(key, kind, row["n"], row["first"], row["last"])
    return rows


def actions_of(incident, items) -> dict[str, list[tuple[str, int]]]:
    """What the compromised account did to each item of one page, for the
    review list: ``{item id: [(action, events), …]}``, most events first.

    Two grouped queries per page, whatever the number of events: by the
    record an event is about, and by the person its detail names. An action
    counted both ways (a contact read, its detail naming that contact) keeps
    the larger count, as ``found`` does for the item's total.
    """
    if incident.source_user_id is None or not items:
        return {}
    by_key = {(item.object_type, item.object_id): str(item.pk) for item in items}
    counts: dict[str, dict[str, int]] = {str(item.pk): {} for item in items}

    def add(item_id: str, action: str, n: int) -> None:
        counts[item_id][action] = max(counts[item_id].get(action, 0), n)

    events = _events(incident)
    for row in (
        events.filter(object_id__in=[object_id for _type, object_id in by_key])
        .values("object_type", "object_id", "action")
        .annotate(n=Count("id"))
        .order_by()
    ):
        item_id = by_key.get((row["object_type"], row["object_id"]))
        if item_id is not None:
            add(item_id, row["action"], row["n"])
    subjects_named = {
        f"subject:{item.object_id}": str(item.pk)
        for item in items
        if item.kind in (AffectedKind.PERSON, AffectedKind.USER)
    }
    if subjects_named:
        for row in (
            events.filter(detail__subject__in=list(subjects_named))
            .values("detail__subject", "action")
            .annotate(n=Count("id"))
            .order_by()
        ):
            add(subjects_named[row["detail__subject"]], row["action"], row["n"])
    return {
        item_id: sorted(actions.items(), key=lambda pair: (-pair[1], pair[0]))
        for item_id, actions in counts.items()
    }


def refresh(incident) -> dict[str, int]:
    """Store what ``found`` says; decisions already taken are kept. Returns counts per kind."""
    rows = found(incident)
    if incident.source_user_id is not None:
        moment = incident.window_end or incident.detected_at
        key = ("accounts.user", str(incident.source_user_id))
        rows.setdefault(
            key,
            {"kind": AffectedKind.USER, "events": 0, "first_at": moment, "last_at": moment},
        )
    with scopes_disabled():
        existing = {
            (item.object_type, item.object_id): item
            for item in AffectedItem.objects.filter(incident=incident).only(
                "id", "object_type", "object_id", "events", "first_at", "last_at"
            )
        }
        new, changed = [], []
        for (object_type, object_id), row in rows.items():
            item = existing.get((object_type, object_id))
            if item is None:
                new.append(
                    AffectedItem(
                        workspace_id=incident.workspace_id,
                        incident=incident,
                        object_type=object_type,
                        object_id=object_id,
                        **row,
                    )
                )
            else:
                item.events, item.first_at, item.last_at = (
                    row["events"],
                    row["first_at"],
                    row["last_at"],
                )
                changed.append(item)
        AffectedItem.objects.bulk_create(new, batch_size=BATCH)
        AffectedItem.objects.bulk_update(
            changed, ["events", "first_at", "last_at"], batch_size=BATCH
        )
    counts = {kind: 0 for kind in AffectedKind.values}
    for row in rows.values():
        counts[row["kind"]] += 1
    return counts
