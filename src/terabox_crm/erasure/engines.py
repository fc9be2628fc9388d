"""Erasers of the engines below the erasure app (P8).

They cannot import the erasure app, so it registers their part here:

* ``crypto.search_terms`` — every blind-index and prefix term of the rows
  erased or blanked (``crypto.search_index``; ``core.prefix_search`` writes
  into the same table);
* ``communications.outbox`` — queued emails about the person (their subject
  id) and queued emails whose text names them (matched on their emails,
  phones and full names, decrypted here in memory); sent ones already hold
  nothing (the outbox blanks them on delivery);
* ``privacy.consent`` — the person's consent events (P7) stay as a
  pseudonymous ledger (purpose, grant or withdrawal, channel code, time,
  policy version, subject id, the staff member who recorded it) while their
  evidence text is blanked and their evidence files are deleted (the bytes
  live in the file row, encrypted under the *workspace* key, so the person's
  subject key does not shred them); ``privacy.restriction`` likewise keeps a
  restriction's dates and blanks its reason, who asked and the reason for
  lifting (docs/privacy-erasure.md "Consent and restriction records");
* the person's subject key (``subject:<uuid>``) is destroyed last by
  ``services.run_erasers``: audit details and anything else sealed under it
  become unreadable, and the audit chain, which names ids only, verifies.

Caches: no cache holds contact data (the caches keep throttle counters,
webhook subscriptions and session revocations); per-process key caches drop
the subject key in ``keyring.destroy_scope``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.communications.models import OutboxEmail
from terabox_crm.crypto.fields import DecryptionError
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.erasure.registry import Eraser, Erasure, register
from terabox_crm.policies import notices
from terabox_crm.policies.models import NoticeRecipient
from terabox_crm.privacy.models import ConsentEvent, ConsentEvidenceFile, Restriction

# Ids per DELETE of search terms. With 1,000 ids in one IN list PostgreSQL
# planned an index scan on the workspace alone and filtered half a million
# terms (480 ms, docs/performance.md "Erasure"); with 100 it probes
# (workspace, object) for each id (0.4 ms).
TERMS_CHUNK = 100
OUTBOX_BATCH = 500


def _erase_terms(erasure: Erasure) -> None:
    ids = sorted(erasure.unindexed_ids)
    deleted = 0
    for start in range(0, len(ids), TERMS_CHUNK):
        deleted += SearchTerm.objects.filter(
            workspace_id=erasure.workspace_id, object_id__in=ids[start : start + TERMS_CHUNK]
        ).delete()[0]
    erasure.count("search_terms", deleted)


def _needles(erasure: Erasure) -> list[str]:
    values = set()
    for kind in ("email", "phone", "name"):
        values.update(v.casefold() for v in erasure.identifiers.get(kind, ()) if len(v) >= 4)
    return sorted(values)


def _texts(row) -> list[str]:
    try:
        return [row.to, row.subject, row.body_text, row.body_html]
    except DecryptionError:  # sealed under a key already destroyed: nothing readable
        return []


def _erase_outbox(erasure: Erasure) -> None:
    deleted = OutboxEmail.objects.filter(subject_id=erasure.subject_id).delete()[0]
    needles = _needles(erasure)
    if needles:
        # Queued mail is a handful of rows (delivered within minutes): read
        # the workspace's pending ones in batches and drop those naming the person.
        pending = OutboxEmail.objects.filter(
            workspace_id=erasure.workspace_id, status=OutboxEmail.Status.PENDING
        ).order_by("pk")
        last = None
        while True:
            batch = list((pending.filter(pk__gt=last) if last else pending)[:OUTBOX_BATCH])
            if not batch:
                break
            last = batch[-1].pk
            hits = [
                row.pk
                for row in batch
                if any(needle in text.casefold() for text in _texts(row) for needle in needles)
            ]
            if hits:
                deleted += OutboxEmail.objects.filter(pk__in=hits).delete()[0]
    erasure.count("outbox", deleted)


def _preview_outbox(workspace_id, subject_id) -> int:
    return OutboxEmail.objects.filter(subject_id=subject_id).count()


def _erase_notice_recipients(erasure: Erasure) -> None:
    """The keyed hashes of the person's addresses kept to send one notice per
    policy version (P10): without them, an erased address is not recognisable
    there either. At worst the address, if it is also someone else's (a
    colleague's, another workspace's contact), gets one more notice."""
    keys = [notices.address_index(email) for email in erasure.identifiers.get("email", ())]
    if keys:
        deleted, _counts = NoticeRecipient.objects.filter(address_index__in=keys).delete()
        erasure.count("policies.notice_recipients", deleted)


def _erase_consent(erasure: Erasure) -> None:
    """Evidence files deleted, evidence text blanked; the events stay (P7, P8).

    A queryset delete and update: the rows are append-only for the services
    (``privacy.models.AppendOnly``), erasure is the one writer allowed.
    """
    events = ConsentEvent.objects.filter(
        workspace_id=erasure.workspace_id, subject_id=erasure.subject_id
    )
    files = ConsentEvidenceFile.objects.filter(
        workspace_id=erasure.workspace_id, event__in=events.values("pk")
    )
    erasure.erased("privacy.consent_files", files.values_list("pk", flat=True))
    files.delete()
    erasure.anonymised("privacy.consent", events.values_list("pk", flat=True))
    events.exclude(evidence="").update(evidence="")


def _preview_consent(workspace_id, subject_id) -> int:
    return ConsentEvent.objects.filter(workspace_id=workspace_id, subject_id=subject_id).count()


def _erase_restrictions(erasure: Erasure) -> None:
    """A restriction's free text goes; its dates stay with the pseudonymous id."""
    rows = Restriction.objects.filter(
        workspace_id=erasure.workspace_id, subject_id=erasure.subject_id
    )
    erasure.anonymised("privacy.restriction", rows.values_list("pk", flat=True))
    rows.update(reason="", requested_by="", lift_reason="")


def register_engines() -> None:
    register(
        Eraser(
            "privacy.consent",
            _erase_consent,
            description=_(
                "Consent events keep their purpose, kind, channel, time and policy version; "
                "their evidence text and files are deleted"
            ),
            preview=_preview_consent,
            order=40,
        )
    )
    register(
        Eraser(
            "privacy.restriction",
            _erase_restrictions,
            description=_(
                "Restrictions of use keep their dates; the reason and who asked are deleted"
            ),
            order=40,
        )
    )
    register(
        Eraser(
            "communications.outbox",
            _erase_outbox,
            description=_("Emails about this person waiting to be sent are deleted"),
            preview=_preview_outbox,
            order=90,
        )
    )
    register(
        Eraser(
            "policies.notice_recipients",
            _erase_notice_recipients,
            description=_("Records that a policy notice was sent to this address are deleted"),
            order=90,
        )
    )
    register(
        Eraser(
            "crypto.search_terms",
            _erase_terms,
            description=_("Search index entries of everything erased are deleted"),
            order=95,
        )
    )
