"""Erasing a person (P8): every registered eraser, one tombstone, one audit event.

``subject_erase`` is what the erase screen, the API and data-subject
requests call; ``erase_in_workspace`` is the same work without an acting
member, for re-applying the ledger after a restore (``erasure.reapply``).
The whole erasure is one transaction: the person is gone everywhere or
nowhere. Step-up (S4) is the view's to check; the service asks the policy
(``privacy.erase``: privacy officers only).
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.audit.chain import subject_scope
from terabox_crm.core import guards
from terabox_crm.core.models import Membership
from terabox_crm.crypto import keyring
from terabox_crm.erasure import keys, ledger, registry, selectors
from terabox_crm.erasure.models import Tombstone, TombstoneDigest
from terabox_crm.refusals import Refusal, recorded_after_rollback

ACTION = "privacy.erase"
REASON_MAX_LENGTH = 500

ALREADY_ERASED = _("This person was already erased on %(date)s. Nothing was changed.")
NOT_FOUND = _("There is no such person in this workspace.")
REASON_REQUIRED = _("Say why this person is erased (for example the request it fulfils).")
REASON_TOO_LONG = _("The reason is too long (at most %(limit)s characters).")


def _when(moment) -> str:
    """In the language's one date-time format (core/formats)."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _as_uuid(value):
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def identifiers_of(workspace_id, subject_id) -> dict[str, set[str]]:
    """The person's identifiers from every registered source (plain, in memory)."""
    found: dict[str, set[str]] = {}
    with scope(workspace=workspace_id):
        for source in registry.identifier_sources():
            for kind, values in source.of(workspace_id, subject_id).items():
                found.setdefault(kind, set()).update(v for v in values if v)
    return found


def exists(workspace_id, subject_id) -> bool:
    with scope(workspace=workspace_id):
        return any(s.exists(workspace_id, subject_id) for s in registry.identifier_sources())


def describe(workspace_id, subject_id) -> str:
    """The person's name as the app that holds them shows it ("" when gone)."""
    with scope(workspace=workspace_id):
        for source in registry.identifier_sources():
            if source.describe is not None and (name := source.describe(workspace_id, subject_id)):
                return name
    return ""


def preview(workspace_id, subject_id) -> list[tuple[object, int]]:
    """What an erasure would reach: ``(description, rows)`` per eraser that counts."""
    rows = []
    with scope(workspace=workspace_id):
        for eraser in registry.erasers():
            if eraser.preview is not None:
                rows.append((eraser.description, eraser.preview(workspace_id, subject_id)))
    return rows


def run_erasers(workspace_id, subject_id, identifiers: dict) -> registry.Erasure:
    """Every eraser in order, then the person's subject key (crypto-shredding)."""
    erasure = registry.Erasure(
        workspace_id=workspace_id, subject_id=subject_id, identifiers=identifiers
    )
    erasure.erased_ids.add(str(subject_id))
    for eraser in registry.erasers():
        eraser.erase(erasure)
    erasure.count("keys", keyring.destroy_scope(subject_scope(subject_id)))
    return erasure


def _tombstone(
    workspace_id, subject_id, digests: dict[str, str], *, at, request_id="", reapplied=False
):
    tombstone = Tombstone.objects.create(
        workspace_id=workspace_id,
        subject_id=subject_id,
        erased_at=at,
        request_id=str(request_id or "")[:64],
        reapplied_at=timezone.now() if reapplied else None,
    )
    TombstoneDigest.objects.bulk_create(
        TombstoneDigest(workspace_id=workspace_id, tombstone=tombstone, kind=kind, digest=digest)
        for digest, kind in sorted(digests.items())
    )
    # "Has erased someone" at once (a rollback leaves it set: one needless
    # query per create until it expires, never a missed check) and again on
    # commit, over a "no" another process may have cached meanwhile.
    selectors.note_tombstone(workspace_id)
    transaction.on_commit(lambda: selectors.note_tombstone(workspace_id))
    return tombstone


def _digests(workspace_id, identifiers: dict) -> dict[str, str]:
    return {
        keys.digest(workspace_id, kind, value): kind
        for kind in ("email", "phone")
        for value in identifiers.get(kind, ())
    }


@recorded_after_rollback
@transaction.atomic
def subject_erase(*, membership: Membership, subject_id, reason: str, request_id=None) -> Tombstone:
    """Erase the person ``subject_id`` (a contact's id) from the workspace.

    Refused (nothing changed) without the privacy-officer capability, for an
    unknown person, without a reason, and for a person already erased.
    """
    guards.require(membership, ACTION, membership.workspace, code="permission_denied")
    workspace_id = membership.workspace_id
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(REASON_REQUIRED, code="reason_required", field="reason", action=ACTION)
    if len(reason) > REASON_MAX_LENGTH:
        raise Refusal(
            REASON_TOO_LONG,
            code="reason_too_long",
            field="reason",
            action=ACTION,
            params={"limit": REASON_MAX_LENGTH},
        )
    subject = _as_uuid(subject_id)
    if subject is None:
        raise guards.invalid(membership, ACTION, message=NOT_FOUND, code="not_found")
    with scopes_disabled():
        earlier = Tombstone.objects.filter(workspace_id=workspace_id, subject_id=subject).first()
    if earlier is not None:
        raise Refusal(
            ALREADY_ERASED,
            code="already_erased",
            status=409,
            action=ACTION,
            params={"date": _when(earlier.erased_at)},
        )
    if not exists(workspace_id, subject):
        raise Refusal(NOT_FOUND, code="not_found", status=404, action=ACTION)
    try:
        return _erase(
            workspace_id,
            subject,
            actor_id=membership.user_id,
            reason=reason,
            request_id=request_id,
        )
    except IntegrityError:
        # Another officer's erasure of the same person committed first (the
        # tombstone is unique per person): theirs stands, this one rolls back.
        raise Refusal(
            ALREADY_ERASED,
            code="already_erased",
            status=409,
            action=ACTION,
            params={"date": _when(timezone.now())},
        ) from None


def _erase(
    workspace_id, subject, *, actor_id=None, reason="", request_id=None, reapplied_from=None
):
    with scope(workspace=workspace_id):
        return _erase_in_scope(
            workspace_id,
            subject,
            actor_id=actor_id,
            reason=reason,
            request_id=request_id,
            reapplied_from=reapplied_from,
        )


def _erase_in_scope(workspace_id, subject, *, actor_id, reason, request_id, reapplied_from):
    identifiers = identifiers_of(workspace_id, subject)
    digests = _digests(workspace_id, identifiers)
    if reapplied_from is not None:
        digests.update(reapplied_from.get("digests", {}))
    erasure = run_erasers(workspace_id, subject, identifiers)
    at = timezone.now()
    tombstone = _tombstone(
        workspace_id,
        subject,
        digests,
        at=reapplied_from["at"] if reapplied_from else at,
        request_id=request_id or "",
        reapplied=reapplied_from is not None,
    )
    audit.record(
        "privacy.subject.reapplied" if reapplied_from else "privacy.subject.erased",
        actor=actor_id,
        workspace=workspace_id,
        object_type="erasure.tombstone",
        object_id=str(tombstone.pk),
        payload={
            "subject": str(subject),
            "rows": dict(sorted(erasure.counts.items())),
            "identifiers": len(digests),
            **({"request": str(request_id)} if request_id else {}),
        },
        # The officer's words, under the officer's own key, never the person's.
        personal={"reason": reason} if reason else None,
        subject_id=actor_id,
    )
    if reapplied_from is None:
        # Last, inside the transaction: see ledger.py for why.
        ledger.append(
            {
                "v": 1,
                "id": str(tombstone.pk),
                "workspace": str(workspace_id),
                "subject": str(subject),
                "at": tombstone.erased_at.isoformat(),
                "digests": dict(sorted(digests.items())),
            }
        )
    return tombstone
