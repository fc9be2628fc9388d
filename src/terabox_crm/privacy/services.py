"""Writes of the privacy engine (P2, P4, P7): purposes, the consent ledger,
restriction of use and the third-party records.

Every service is keyword-only, takes the acting ``membership`` (except
``provision_record``, written by a channel on behalf of the workspace),
checks the policy through the one guard, validates, writes and audits in one
transaction; bad input is a ``Refusal`` with a translated reason and nothing
changed. The people they act on are ids (``subject_id``): the acting member
must be able to read them (``subjects.readable``), else the answer is the
404 a missing record gets.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from terabox_crm import audit, inventory
from terabox_crm.core import guards, records
from terabox_crm.core.models import Membership
from terabox_crm.policies import selectors as policies
from terabox_crm.policies.models import PolicyVersion
from terabox_crm.privacy import defaults, gate, subjects
from terabox_crm.privacy.models import (
    EVIDENCE_CONTENT_TYPES,
    EVIDENCE_MAX_BYTES,
    ConsentChannel,
    ConsentEvent,
    ConsentEvidenceFile,
    ConsentKind,
    LawfulBasis,
    ProvisionChannel,
    ProvisionRecord,
    ProvisionSubject,
    Purpose,
    Restriction,
    ThirdPartyReceipt,
)
from terabox_crm.refusals import Refusal, recorded_after_rollback

TEXT_MAX = 2_000
NAME_MAX = 100
DESCRIPTION_MAX = 1_000
CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
BATCH = 1_000


def _text(value, *, field: str, limit: int = TEXT_MAX, required: bool = False, message=""):
    value = " ".join(str(value or "").split()) if field.startswith("name") else str(value or "")
    value = value.strip()
    if required and not value:
        raise Refusal(
            message or _("This field is required."), code=f"{field}_required", field=field
        )
    if len(value) > limit:
        raise Refusal(
            _("This text is too long (at most %(max)d characters).") % {"max": limit},
            code="too_long",
            field=field,
        )
    return value


def _subject(membership: Membership, subject_id, *, action: str) -> uuid.UUID:
    """``subject_id`` as a UUID, once the member may read that person."""
    try:
        subject = subjects.as_uuids([subject_id])[0]
    except (ValueError, TypeError, AttributeError):
        subject = None
    if subject is not None:
        # An erased person's row is gone: say so (P8) rather than "not found".
        for found in gate.refusal_sources(membership.workspace_id, [subject]).values():
            raise Refusal(found.message, code=f"subject_{found.code}", status=409)
    if subject is None or subject not in subjects.readable(membership, [subject]):
        raise guards.refusal(
            membership, action, message=_("Not found."), code="not_found", status=404
        )
    return subject


def _purpose(membership: Membership, purpose) -> Purpose:
    if isinstance(purpose, Purpose):
        purpose = purpose.pk
    found = None
    try:
        found = Purpose.objects.filter(workspace_id=membership.workspace_id, pk=purpose).first()
    except Exception:  # not a UUID: a code
        found = None
    if found is None:
        found = Purpose.objects.filter(
            workspace_id=membership.workspace_id, code=str(purpose)
        ).first()
    if found is None:
        raise Refusal(_("Choose a purpose."), code="unknown_purpose", field="purpose")
    return found


def on_workspace_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """``post_save`` of a workspace (``apps.py``): a new one gets the built-in
    purposes (P2) in the transaction that creates it."""
    if created and not raw:
        defaults.create_builtin(Purpose, instance.pk)


# --- Purposes (P2) -------------------------------------------------------------


@recorded_after_rollback
@transaction.atomic
def purpose_create(
    *,
    membership: Membership,
    code: str,
    name_ja: str,
    name_en: str,
    lawful_basis: str,
    description_ja: str = "",
    description_en: str = "",
) -> Purpose:
    """Add a purpose of the workspace's own (admins)."""
    guards.require(membership, "privacy.purposes.manage")
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise Refusal(
            _(
                "Use 2–40 lowercase letters, digits, hyphens or underscores, starting with a letter."
            ),
            code="invalid_code",
            field="code",
        )
    if lawful_basis not in LawfulBasis.values:
        raise Refusal(_("Choose a lawful basis."), code="invalid_basis", field="lawful_basis")
    purpose = Purpose(
        workspace_id=membership.workspace_id,
        code=code,
        name_ja=_text(
            name_ja,
            field="name_ja",
            limit=NAME_MAX,
            required=True,
            message=_("Give the purpose a Japanese name."),
        ),
        name_en=_text(
            name_en,
            field="name_en",
            limit=NAME_MAX,
            required=True,
            message=_("Give the purpose an English name."),
        ),
        description_ja=_text(description_ja, field="description_ja", limit=DESCRIPTION_MAX),
        description_en=_text(description_en, field="description_en", limit=DESCRIPTION_MAX),
        lawful_basis=lawful_basis,
        builtin=False,
    )
    if Purpose.objects.filter(workspace_id=membership.workspace_id, code=code).exists():
        raise Refusal(
            _("A purpose with this code exists already."), code="code_taken", field="code"
        )
    try:
        with transaction.atomic():
            purpose.save(force_insert=True)
    except IntegrityError:
        raise Refusal(
            _("A purpose with this code exists already."), code="code_taken", field="code"
        ) from None
    audit.record(
        "privacy.purpose.created",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=purpose,
        payload={"code": code, "lawful_basis": lawful_basis},
    )
    return purpose


# --- The consent ledger (P7) --------------------------------------------------------


def _evidence_file(upload) -> tuple[str, str, bytes] | None:
    """``(name, content_type, bytes)`` of an uploaded file within the limits."""
    if upload is None:
        return None
    if upload.size > EVIDENCE_MAX_BYTES:
        raise Refusal(
            _("The file is too large (at most %(max)d MB).") % {"max": EVIDENCE_MAX_BYTES // 2**20},
            code="file_too_large",
            field="evidence_file",
        )
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if content_type not in EVIDENCE_CONTENT_TYPES:
        raise Refusal(
            _("Attach a PDF, PNG, JPEG, plain-text or email (.eml) file."),
            code="file_type",
            field="evidence_file",
        )
    data = upload.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise Refusal(
            _("The file is too large (at most %(max)d MB).") % {"max": EVIDENCE_MAX_BYTES // 2**20},
            code="file_too_large",
            field="evidence_file",
        )
    name = (getattr(upload, "name", "") or "evidence")[-200:]
    return name, content_type, data


def _occurred_at(value) -> datetime:
    now = timezone.now()
    if value in (None, ""):
        return now
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.get_current_timezone())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(minutes=5):
        raise Refusal(
            _("The consent cannot be dated in the future."), code="future_date", field="occurred_at"
        )
    return value


def _consent_event(
    *,
    membership: Membership,
    kind: str,
    subject_id,
    purpose,
    channel: str,
    evidence: str,
    occurred_at,
    evidence_file,
    action: str,
) -> ConsentEvent:
    guards.require(membership, "privacy.consent.record")
    subject = _subject(membership, subject_id, action="privacy.consent.record")
    purpose = _purpose(membership, purpose)
    if channel not in ConsentChannel.values:
        raise Refusal(_("Choose how the person told you."), code="invalid_channel", field="channel")
    evidence = _text(evidence, field="evidence")
    when = _occurred_at(occurred_at)
    upload = _evidence_file(evidence_file)
    latest = gate.latest_consent(membership.workspace_id, purpose.pk, [subject]).get(subject)
    if kind == ConsentKind.WITHDRAW and (latest is None or latest[0] != ConsentKind.GRANT):
        if latest is None:
            message = _(
                "This person never gave consent for this purpose: there is nothing to withdraw."
            )
            code = "consent_never_given"
        else:
            message = _("This person's consent for this purpose is withdrawn already.")
            code = "consent_already_withdrawn"
        raise Refusal(message, code=code, field="purpose")
    if latest is not None and when < latest[1]:
        raise Refusal(
            _("The ledger has a later event for this purpose: date this one after it."),
            code="out_of_order",
            field="occurred_at",
        )
    event = ConsentEvent(
        workspace_id=membership.workspace_id,
        subject_id=subject,
        purpose=purpose,
        kind=kind,
        channel=channel,
        occurred_at=when,
        actor=membership.user,
        evidence=evidence,
        policy_version=policies.version_in_force(PolicyVersion.Kind.PRIVACY, at=when),
    )
    event.save()
    if upload is not None:
        name, content_type, data = upload
        ConsentEvidenceFile(
            workspace_id=membership.workspace_id,
            event=event,
            name=name,
            content_type=content_type,
            size=len(data),
            content=base64.b64encode(data).decode("ascii"),
        ).save()
    audit.record(
        action,
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=event,
        payload={
            "subject": str(subject),
            "purpose": purpose.code,
            "channel": channel,
            "evidence_file": upload is not None,
            "policy_version": event.policy_version.number if event.policy_version else None,
        },
        subject_id=subject,
    )
    return event


@recorded_after_rollback
@transaction.atomic
def consent_grant(
    *,
    membership: Membership,
    subject_id,
    purpose,
    channel: str,
    evidence: str = "",
    occurred_at=None,
    evidence_file=None,
) -> ConsentEvent:
    """Append a grant to the ledger (P7)."""
    return _consent_event(
        membership=membership,
        kind=ConsentKind.GRANT,
        subject_id=subject_id,
        purpose=purpose,
        channel=channel,
        evidence=evidence,
        occurred_at=occurred_at,
        evidence_file=evidence_file,
        action="privacy.consent.granted",
    )


@recorded_after_rollback
@transaction.atomic
def consent_withdraw(
    *,
    membership: Membership,
    subject_id,
    purpose,
    channel: str,
    evidence: str = "",
    occurred_at=None,
    evidence_file=None,
) -> ConsentEvent:
    """Append a withdrawal (P7); refused when the consent was never given or
    is withdrawn already."""
    return _consent_event(
        membership=membership,
        kind=ConsentKind.WITHDRAW,
        subject_id=subject_id,
        purpose=purpose,
        channel=channel,
        evidence=evidence,
        occurred_at=occurred_at,
        evidence_file=evidence_file,
        action="privacy.consent.withdrawn",
    )


def evidence_file_content(membership: Membership, evidence: ConsentEvidenceFile) -> bytes:
    """The decrypted bytes of an evidence file; the read is audited."""
    guards.require_record(
        membership, "privacy.consent.view", evidence, message=_("You cannot read this file.")
    )
    _subject(membership, evidence.event.subject_id, action="privacy.consent.view")
    audit.record(
        "privacy.consent.evidence_read",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=evidence,
        payload={"event": str(evidence.event_id)},
        subject_id=evidence.event.subject_id,
    )
    return base64.b64decode(evidence.content)


# --- Restriction of use (利用停止, P7) ------------------------------------------------


def _already_restricted() -> Refusal:
    """The one refusal of a second restriction (checked first, and again when a
    racing request's row wins the unique constraint)."""
    return Refusal(
        _("The use of this person's data is restricted already."),
        code="already_restricted",
        field="subject_id",
    )


@recorded_after_rollback
@transaction.atomic
def restriction_set(
    *, membership: Membership, subject_id, reason: str, requested_by: str
) -> Restriction:
    """Restrict the use of a person's data: kept and found, used for nothing
    but legal obligations. Refused when restricted already or erased."""
    guards.require(membership, "privacy.restriction.set")
    subject = _subject(membership, subject_id, action="privacy.restriction.set")
    reason = _text(
        reason, field="reason", required=True, message=_("Say why the use is restricted.")
    )
    requested_by = _text(
        requested_by,
        field="requested_by",
        limit=200,
        required=True,
        message=_("Say who asked for the restriction."),
    )
    if gate.restricted_among(membership.workspace_id, [subject]):
        raise _already_restricted()
    restriction = Restriction(
        workspace_id=membership.workspace_id,
        subject_id=subject,
        reason=reason,
        requested_by=requested_by,
        set_by=membership.user,
    )
    try:
        with transaction.atomic():
            restriction.save(force_insert=True)
    except IntegrityError:  # a racing request restricted them first
        raise _already_restricted() from None
    records.forget_locks(membership)
    audit.record(
        "privacy.restriction.set",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=restriction,
        payload={"subject": str(subject)},
        personal={"reason": reason, "requested_by": requested_by},
        subject_id=subject,
    )
    return restriction


@recorded_after_rollback
@transaction.atomic
def restriction_lift(*, membership: Membership, subject_id, reason: str = "") -> Restriction:
    """Lift a restriction (privacy officers; the view asks for step-up, S4)."""
    guards.require(membership, "privacy.restriction.lift")
    subject = _subject(membership, subject_id, action="privacy.restriction.lift")
    reason = _text(reason, field="reason")
    restriction = (
        Restriction.objects.select_for_update()
        .filter(workspace_id=membership.workspace_id, subject_id=subject, lifted_at__isnull=True)
        .first()
    )
    if restriction is None:
        raise Refusal(
            _("The use of this person's data is not restricted."),
            code="not_restricted",
            field="subject_id",
        )
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = membership.user
    restriction.lift_reason = reason
    restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    records.forget_locks(membership)
    audit.record(
        "privacy.restriction.lifted",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=restriction,
        payload={"subject": str(subject)},
        personal={"reason": reason} if reason else None,
        subject_id=subject,
    )
    return restriction


# --- Third-party receipt and provision records (P4) ----------------------------------


def _categories(values: Iterable) -> list[str]:
    found = []
    for value in values or ():
        try:
            found.append(str(inventory.Category(value)))
        except ValueError:
            raise Refusal(
                _("Choose categories from the list."), code="invalid_category", field="categories"
            ) from None
    if not found:
        raise Refusal(
            _("Say which categories of data were received."),
            code="categories_required",
            field="categories",
        )
    return sorted(set(found))


def receipt_check(
    *,
    provider: str = "",
    obtained_how: str = "",
    consent_by: str = "",
    consent_at=None,
    consent_evidence: str = "",
    categories: Iterable = (),
) -> dict:
    """The validated fields of a third-party receipt, or a ``Refusal`` naming
    what is missing (P4): callers check before they create the contact."""
    missing = [
        name
        for name, value in (
            ("consent_by", consent_by),
            ("consent_at", consent_at),
            ("consent_evidence", consent_evidence),
        )
        if not str(value or "").strip()
    ]
    if missing:
        raise Refusal(
            _(
                "Data from a third party needs a consent reference: who consented to the "
                "sharing, when, and the evidence."
            ),
            code="consent_reference_required",
            field=missing[0],
        )
    if isinstance(consent_at, datetime):
        consent_at = consent_at.date()
    if not isinstance(consent_at, date):
        try:
            consent_at = date.fromisoformat(str(consent_at))
        except ValueError:
            raise Refusal(
                _("Enter the date of the consent."), code="invalid_date", field="consent_at"
            ) from None
    if consent_at > timezone.localdate():
        raise Refusal(
            _("The consent cannot be dated in the future."), code="future_date", field="consent_at"
        )
    return {
        "provider": _text(
            provider,
            field="provider",
            limit=200,
            required=True,
            message=_("Name the third party that provided the data."),
        ),
        "obtained_how": _text(
            obtained_how,
            field="obtained_how",
            required=True,
            message=_("Say how the third party obtained the data."),
        ),
        "consent_by": _text(consent_by, field="consent_by", limit=200, required=True),
        "consent_at": consent_at,
        "consent_evidence": _text(consent_evidence, field="consent_evidence", required=True),
        "categories": _categories(categories),
    }


def receipt_record(*, membership: Membership, subject_id, received_on=None, **fields):
    """Keep the receipt record of a person received from a third party (P4).

    Called by the domain service that creates the person, inside its
    transaction (so the person and the record are written together, or
    neither): ``fields`` are those of ``receipt_check``.
    """
    values = receipt_check(**fields)
    subject = subjects.as_uuids([subject_id])[0]
    receipt = ThirdPartyReceipt(
        workspace_id=membership.workspace_id,
        subject_id=subject,
        received_on=received_on or timezone.localdate(),
        recorded_by=membership.user,
        **values,
    )
    receipt.save()
    audit.record(
        "privacy.receipt.recorded",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=receipt,
        payload={"subject": str(subject), "categories": values["categories"]},
        subject_id=subject,
    )
    return receipt


def provision_record(
    *,
    workspace,
    recipient: str,
    subject_ids: Iterable,
    categories: Iterable,
    channel: str,
    reference: str = "",
    purpose: str = "",
    actor=None,
) -> ProvisionRecord:
    """Write the record of providing these people's data to a third party (P4).

    Called by the channel that provides (a webhook endpoint marked third
    party, an export for a recipient), in its own transaction; the people go
    in batches of ``BATCH`` rows.
    """
    if channel not in ProvisionChannel.values:
        raise ValueError(f"unknown provision channel {channel!r}")
    ids = subjects.as_uuids(subject_ids)
    workspace_id = getattr(workspace, "pk", workspace)
    with transaction.atomic(), scopes_disabled():
        record = ProvisionRecord(
            workspace_id=workspace_id,
            recipient=recipient,
            categories=sorted({str(inventory.Category(value)) for value in categories}),
            channel=channel,
            reference=str(reference)[:64],
            purpose=str(getattr(purpose, "code", purpose) or "")[:40],
            subject_count=len(ids),
        )
        record.save()
        for start in range(0, len(ids), BATCH):
            ProvisionSubject.objects.bulk_create(
                [
                    ProvisionSubject(workspace_id=workspace_id, record=record, subject_id=subject)
                    for subject in ids[start : start + BATCH]
                ]
            )
        audit.record(
            "privacy.provision.recorded",
            actor=getattr(actor, "pk", actor),
            workspace=workspace_id,
            obj=record,
            payload={
                "channel": channel,
                "reference": record.reference,
                "subjects": len(ids),
                "categories": record.categories,
            },
        )
    return record
