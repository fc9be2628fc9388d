"""Notice of a policy change (P10): who is told, and telling them once.

A published version's notice is due ``CRM_POLICY_NOTICE_DAYS`` days before
it takes effect (publishing refuses a shorter lead time, so the notice is
never late). The periodic job (``tasks.send_due_policy_notices``) calls
``dispatch_due``, which sends each due version's notice to every registered
audience once: one ``NoticeDispatch`` per version and audience, filled in
batches of at most 1,000 recipients, one transaction per batch, with the
cursor committed with its batch, so a crash resumes where it stopped and
never emails anyone twice.

Audiences
---------
An audience is a function ``fn(version, after, limit) -> list[Recipient]``
returning the next ``limit`` recipients whose ``key`` sorts after ``after``
(``""`` for the first batch), in ``key`` order. The policies app registers
``users`` (every active user). Apps above it register theirs with
``register_audience`` from their ``AppConfig.ready()``: the contacts app
registers ``contacts``, those whose service-notice purpose the gate allows
(P3; ``contacts/privacy.py``).
Recipients travel as values of a batch, never in a job payload: the emails
are queued in the outbox (encrypted, ids only in the queue, SPEC §5).

One notice per address
----------------------
A person may be a user and a contact, or a contact in several workspaces:
each address is told once per version. Every address queued is recorded as
a keyed hash (``NoticeRecipient``, unique per version) in the batch's
transaction, and an address already recorded is skipped. ``users`` goes
first, so a person who is also a user gets the notice in the language they
chose; contacts get it in their workspace's default language.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from terabox_crm import audit
from terabox_crm.communications.outbox import queue_email
from terabox_crm.crypto import blind_index, normalise
from terabox_crm.crypto.keyring import SYSTEM_SCOPE
from terabox_crm.policies import config
from terabox_crm.policies.models import NoticeDispatch, NoticeRecipient, PolicyVersion

BATCH_SIZE = 1000
EMAIL_KIND = "policies/email/policy_notice"


@dataclass(frozen=True)
class Recipient:
    key: str  # unique and sortable: the audience's cursor
    email: str
    language: str = ""
    subject_id: uuid.UUID | str | None = None  # the person the email is about (their key)
    workspace_id: uuid.UUID | str | None = None


Audience = Callable[[PolicyVersion, str, int], Sequence[Recipient]]

_audiences: dict[str, Audience] = {}


def register_audience(name: str, fn: Audience) -> None:
    """Add (or replace) the audience ``name``; see the module docstring."""
    _audiences[name] = fn


def audiences() -> dict[str, Audience]:
    return dict(_audiences)


def users_audience(version: PolicyVersion, after: str, limit: int) -> list[Recipient]:
    """Every active user, by id."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if after:
        users = users.filter(pk__gt=after)
    return [
        Recipient(key=str(user.pk), email=user.email, language=user.language, subject_id=user.pk)
        for user in users[:limit]
        if user.email
    ]


def register_builtin_audiences() -> None:
    register_audience("users", users_audience)


def due_versions(now: datetime) -> list[PolicyVersion]:
    """Published versions whose notice is due and which have not taken
    effect yet (the first version of a policy replaces nothing: no notice)."""
    return list(
        PolicyVersion.objects.filter(
            published_at__isnull=False,
            number__gt=1,
            effective_at__gt=now,
            effective_at__lte=now + config.notice_period(),
        ).order_by("effective_at")
    )


def dispatch_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Send every notice that is due to every audience, once. Returns how
    many emails were queued."""
    now = now or timezone.now()
    queued = 0
    for version in due_versions(now):
        done = set(
            NoticeDispatch.objects.filter(
                version=version, status=NoticeDispatch.Status.DONE
            ).values_list("audience", flat=True)
        )
        # Users first: a person who is also a contact is told in their own language.
        for name, fn in sorted(audiences().items(), key=lambda item: (item[0] != "users", item[0])):
            if name not in done:
                queued += dispatch(version, name, fn, batch_size=batch_size)
    return queued


def dispatch(version: PolicyVersion, name: str, fn: Audience, *, batch_size: int) -> int:
    NoticeDispatch.objects.get_or_create(version=version, audience=name)
    queued = 0
    while True:
        with transaction.atomic():
            row = NoticeDispatch.objects.select_for_update().get(version=version, audience=name)
            if row.status == NoticeDispatch.Status.DONE:
                return queued
            batch = list(fn(version, row.cursor, batch_size))
            if not batch:
                row.status = NoticeDispatch.Status.DONE
                row.finished_at = timezone.now()
                row.save(update_fields=["status", "finished_at"])
                audit.record(
                    "policies.notice.sent",
                    obj=row,
                    payload={
                        "kind": version.kind,
                        "number": version.number,
                        "audience": name,
                        "recipients": row.recipients,
                    },
                )
                return queued
            fresh = _first_time(version, batch)
            for recipient in fresh:
                queue_email(
                    kind=EMAIL_KIND,
                    to=recipient.email,
                    language=recipient.language or "ja",
                    context=_context(version),
                    subject_id=recipient.subject_id,
                    workspace_id=recipient.workspace_id,
                )
            NoticeDispatch.objects.filter(pk=row.pk).update(
                cursor=batch[-1].key, recipients=F("recipients") + len(fresh)
            )
            queued += len(fresh)


def address_index(address: str) -> str:
    return blind_index.full(
        normalise.email(address, check=False), scope=SYSTEM_SCOPE, domain="policies.notice.address"
    )


def _first_time(version: PolicyVersion, batch: Sequence[Recipient]) -> list[Recipient]:
    """The recipients of ``batch`` whose address has not been told of
    ``version`` yet (by any audience, in any workspace), recorded as told.
    Runs in the batch's transaction: a rolled-back batch records nobody."""
    indexed: dict[str, Recipient] = {}
    for recipient in batch:
        indexed.setdefault(address_index(recipient.email), recipient)
    told = set(
        NoticeRecipient.objects.filter(
            version=version, address_index__in=list(indexed)
        ).values_list("address_index", flat=True)
    )
    fresh = {key: r for key, r in indexed.items() if key not in told}
    NoticeRecipient.objects.bulk_create(
        [NoticeRecipient(version=version, address_index=key) for key in fresh]
    )
    return list(fresh.values())


def prune_recipients(now: datetime | None = None) -> int:
    """Forget who was told of versions already in effect (no notice is sent
    after that), in batches of at most 1,000 rows."""
    now = now or timezone.now()
    deleted = 0
    while True:
        ids = list(
            NoticeRecipient.objects.filter(version__effective_at__lte=now).values_list(
                "pk", flat=True
            )[:BATCH_SIZE]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += NoticeRecipient.objects.filter(pk__in=ids).delete()[0]


def _context(version: PolicyVersion) -> dict:
    return {
        "kind": version.kind,
        "number": version.number,
        "effective_at": version.effective_at,
        "summary_ja": version.summary_ja,
        "summary_en": version.summary_en,
        "path": f"/{version.kind}/versions/{version.number}/",
    }
