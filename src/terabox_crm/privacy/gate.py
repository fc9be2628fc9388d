"""The one purpose gate (P2, P3, P7): may purpose X use these people now?

``check(workspace=…, purpose=…, subject_ids=…)`` answers for many people at
once with a few set-based queries per chunk of ``CHUNK`` ids (never one per
person) and returns the ids allowed and a reason per refusal:

* ``unknown_subject``: no such person in the workspace (registered through
  ``subjects``);
* ``restricted``: restriction of use (利用停止) is in force — only a purpose
  whose lawful basis is a legal obligation passes;
* ``no_consent`` / ``withdrawn`` (with the date): the purpose's basis is
  consent and the consent ledger's latest event is not a grant;
* any code a refusal source adds (``register_refusal_source``): erasure
  registers ``erased`` this way, so the engine never imports the app above.

Every channel that uses personal data asks it — webhooks, emails naming a
contact, exports, statistics, imports — naming the purpose it serves and
itself (``channel``). Refusals are put on the audit trail as one event per
check (ids and reason codes only), at most ``REFUSALS_RECORDED`` per
workspace, purpose and channel in ``REFUSAL_WINDOW`` seconds, like the
denials of ``refusals``.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import formats
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.privacy import subjects
from terabox_crm.privacy.models import ConsentEvent, ConsentKind, Purpose, Restriction
from terabox_crm.refusals import Refusal, within_budget

CHUNK = 5_000
REFUSALS_RECORDED = 50
REFUSAL_WINDOW = 600  # seconds
LOGGED_IDS = 200  # ids named in one refusal event; the count says how many more

UNKNOWN_SUBJECT = "unknown_subject"
RESTRICTED = "restricted"
NO_CONSENT = "no_consent"
WITHDRAWN = "withdrawn"
REFUSED_ACTION = "privacy.gate.refused"


@dataclass(frozen=True)
class Reason:
    code: str
    at: datetime | None = None

    @property
    def message(self) -> str:
        """The reason in the active language, for pages and problem details."""
        when = formats.date_format(self.at, "SHORT_DATE_FORMAT") if self.at else ""
        if self.code == WITHDRAWN:
            return _("Consent withdrawn on %(date)s.") % {"date": when}
        if self.code == NO_CONSENT:
            return _("No consent for this purpose.")
        if self.code == RESTRICTED:
            return _("Use of this person's data is restricted.")
        if self.code == UNKNOWN_SUBJECT:
            return _("No such person in this workspace.")
        if self.code == "erased":
            return _("This person has been erased.")
        return _("Refused (%(code)s).") % {"code": self.code}


@dataclass
class Decision:
    purpose: Purpose
    allowed: set[uuid.UUID] = field(default_factory=set)
    refused: dict[uuid.UUID, Reason] = field(default_factory=dict)

    def allows(self, subject_id) -> bool:
        return subjects.as_uuids([subject_id])[0] in self.allowed


RefusalSource = Callable[[object, list], dict]
_refusal_sources: dict[str, RefusalSource] = {}


def register_refusal_source(code: str, fn: RefusalSource) -> None:
    """Add a reason the gate refuses for: ``fn(workspace_id, subject_ids)``
    returns ``{subject_id: reason}`` for the ids it refuses, the reason a
    ``Reason``, a date (when it happened) or anything else (just the code)."""
    _refusal_sources[code] = fn


def unregister_refusal_source(code: str) -> None:
    _refusal_sources.pop(code, None)


def refusal_sources(workspace_id, ids: list[uuid.UUID]) -> dict[uuid.UUID, Reason]:
    """The reasons of the registered sources (erasure …) for ``ids``."""
    found: dict[uuid.UUID, Reason] = {}
    for code, fn in _refusal_sources.items():
        for subject_id, value in (fn(workspace_id, ids) or {}).items():
            key = subjects.as_uuids([subject_id])[0]
            if isinstance(value, Reason):
                found.setdefault(key, value)
            elif isinstance(value, datetime):
                found.setdefault(key, Reason(code, value))
            else:
                found.setdefault(key, Reason(code))
    return found


def purpose_for(workspace, purpose) -> Purpose:
    """``purpose`` (a ``Purpose`` or a code) of ``workspace``; an unknown code is
    a mistake of the caller's, refused as such."""
    if isinstance(purpose, Purpose):
        if str(purpose.workspace_id) != str(workspace_pk(workspace)):
            raise Refusal(_("Unknown purpose."), code="unknown_purpose", field="purpose")
        return purpose
    with scopes_disabled():
        found = Purpose.objects.filter(workspace_id=workspace_pk(workspace), code=purpose).first()
    if found is None:
        raise Refusal(_("Unknown purpose."), code="unknown_purpose", field="purpose")
    return found


def workspace_pk(workspace):
    return getattr(workspace, "pk", workspace)


def ids_in(ids: list[uuid.UUID]) -> RawSQL:
    """``ids`` as one array parameter for ``field__in=``: Django would bind
    one parameter per id and convert each (most of the cost at thousands of
    ids); the database unpacks the array itself (PostgreSQL ``unnest`` of a
    ``uuid[]``, SQLite ``json_each`` of the hex form its UUID columns hold)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::uuid[])", [[str(value) for value in ids]])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps([value.hex for value in ids])])


def _chunks(ids: list, size: int = CHUNK):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def restricted_among(workspace_id, ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """The ids under restriction of use, with the date it began."""
    found: dict[uuid.UUID, datetime] = {}
    with scopes_disabled():
        for chunk in _chunks(ids):
            found.update(
                Restriction.objects.filter(
                    workspace_id=workspace_id, subject_id__in=ids_in(chunk), lifted_at__isnull=True
                ).values_list("subject_id", "set_at")
            )
    return found


def latest_consent(
    workspace_id, purpose_id, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, datetime]]:
    """The latest ledger event per id for the purpose: ``{id: (kind, when)}``,
    chosen by the database (a window function), so a person with many events
    costs one row."""
    found: dict[uuid.UUID, tuple[str, datetime]] = {}
    with scopes_disabled():
        for chunk in _chunks(ids):
            rows = (
                ConsentEvent.objects.filter(
                    workspace_id=workspace_id, purpose_id=purpose_id, subject_id__in=ids_in(chunk)
                )
                .annotate(
                    rank=Window(
                        RowNumber(),
                        partition_by=[F("subject_id")],
                        order_by=[F("occurred_at").desc(), F("recorded_at").desc()],
                    )
                )
                .filter(rank=1)
                .values_list("subject_id", "kind", "occurred_at")
            )
            found.update((subject_id, (kind, at)) for subject_id, kind, at in rows)
    return found


def check(
    *,
    workspace,
    purpose,
    subject_ids: Iterable,
    channel: str = "",
    actor=None,
    log: bool = True,
    read_from_subjects: bool = False,
) -> Decision:
    """May ``purpose`` use ``subject_ids`` in ``workspace`` now?

    Returns the allowed ids and a ``Reason`` per refused id. ``channel`` names
    the caller on the audit trail ("webhooks", "notifications.email" …).
    ``read_from_subjects``: the caller has just read these ids as the
    subjects' own rows in this workspace (a guarded export of contacts, S4),
    so they are not looked up again to be known; every other reason is
    asked as always.
    """
    purpose = purpose_for(workspace, purpose)
    workspace_id = purpose.workspace_id
    ids = subjects.as_uuids(subject_ids)
    decision = Decision(purpose=purpose)
    if not ids:
        return decision
    # The sources first, over every id: an erased person's row is gone, and
    # "erased" says more than "unknown".
    refused: dict[uuid.UUID, Reason] = refusal_sources(workspace_id, ids)
    if not read_from_subjects:  # else every id is known: nothing to add
        known = subjects.existing(workspace_id, ids)
        for subject_id in ids:
            if subject_id not in known and subject_id not in refused:
                refused[subject_id] = Reason(UNKNOWN_SUBJECT)
    # (Filtered only when something was refused: a UUID's hash is a Python
    # call, and an export asks about thousands of ids per batch.)
    remaining = [subject_id for subject_id in ids if subject_id not in refused] if refused else ids
    if not purpose.overrides_restriction:
        restricted = restricted_among(workspace_id, remaining)
        for subject_id, since in restricted.items():
            refused[subject_id] = Reason(RESTRICTED, since)
        if restricted:
            remaining = [subject_id for subject_id in remaining if subject_id not in refused]
    if purpose.needs_consent:
        latest = latest_consent(workspace_id, purpose.pk, remaining)
        for subject_id in remaining:
            state = latest.get(subject_id)
            if state is None:
                refused[subject_id] = Reason(NO_CONSENT)
            elif state[0] == ConsentKind.WITHDRAW:
                refused[subject_id] = Reason(WITHDRAWN, state[1])
    decision.refused = refused
    decision.allowed = (
        {subject_id for subject_id in ids if subject_id not in refused} if refused else set(ids)
    )
    if refused and log:
        log_refusals(decision, channel=channel, actor=actor)
    return decision


def log_refusals(decision: Decision, *, channel: str, actor=None) -> bool:
    """Put ``decision``'s refusals on the audit trail (one event, ids and codes),
    within the budget; True when recorded."""
    purpose = decision.purpose
    key = f"privacy:gate:{purpose.workspace_id}:{purpose.code}:{channel}"
    if not within_budget(key, limit=REFUSALS_RECORDED, window=REFUSAL_WINDOW):
        return False
    named = list(decision.refused.items())[:LOGGED_IDS]
    with transaction.atomic():
        audit.record(
            REFUSED_ACTION,
            actor=getattr(actor, "pk", actor),
            workspace=purpose.workspace_id,
            object_type="privacy.purpose",
            object_id=str(purpose.pk),
            payload={
                "purpose": purpose.code,
                "channel": channel,
                "refused": len(decision.refused),
                "allowed": len(decision.allowed),
                "reasons": dict(Counter(reason.code for reason in decision.refused.values())),
                "subjects": {str(subject_id): reason.code for subject_id, reason in named},
            },
        )
    return True


def require(*, workspace, purpose, subject_id, channel: str = "", actor=None) -> None:
    """Refuse (a 403 ``Refusal`` with the reason) unless ``purpose`` may use
    ``subject_id``: for a channel acting on one person."""
    decision = check(
        workspace=workspace, purpose=purpose, subject_ids=[subject_id], channel=channel, actor=actor
    )
    if decision.refused:
        reason = next(iter(decision.refused.values()))
        raise Refusal(reason.message, code=f"purpose_{reason.code}", status=403)
