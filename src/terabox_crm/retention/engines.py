"""Retention targets of the engines below the privacy layer (P5).

The audit trail, accounts and notifications cannot import the retention
engine (it sits above them), so their targets are declared here:

* ``audit.details`` — audit details older than the period are shredded: the
  subject keys whose every detail in this workspace's chain is older than the
  cutoff are destroyed. The details stay (their digest is chained), so
  ``audit verify`` still passes; they can no longer be read. Keys of user
  accounts are left alone (they also encrypt the account's live sessions and
  devices) and so are keys of contacts under legal hold.
* ``security.ip_details`` — the monthly keys that seal the IP addresses and
  browsers of events with no person to attach them to (failed sign-ins for
  unknown emails) are destroyed once the whole month is older than the period.
* ``accounts.sessions`` — session records not seen for the period.
* ``privacy.receipts`` and ``privacy.provisions`` — the records of receiving
  personal data from and providing it to third parties (P4, APPI 確認・記録),
  deleted after their period (3 years by default) but never before the
  ``keep_until`` written on each record when it was made: the law's 3 years
  hold whatever a rule says. The privacy app sits below this one, so its
  targets are declared here too.

Notifications are a domain app: their targets are in ``notifications/retention.py``.

The privacy app's *person part* (``registry.register_person_part``) is here
too: a contact anonymised by a rule keeps its consent events as a
pseudonymous ledger (purpose, grant or withdrawal, channel, time, policy
version) and its restrictions' dates, while the evidence text, the evidence
files and a restriction's reasons and who asked go — what the erasure does
to them (``erasure/engines.py``). They are sealed under the workspace key,
so destroying the person's subject key would not take them out.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.accounts.models import UserSession
from terabox_crm.audit.models import AuditDetail
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.privacy.models import (
    ConsentEvent,
    ConsentEvidenceFile,
    ProvisionRecord,
    ProvisionSubject,
    Restriction,
    ThirdPartyReceipt,
)
from terabox_crm.retention.registry import (
    Action,
    Target,
    among,
    delete_rows,
    register,
    register_person_part,
)

SUBJECT = "subject:"
ANON = "subject:anon-"


def _audit_pending(*, workspace_id, cutoff, held):
    chain = str(workspace_id)
    same_key = AuditDetail.objects.filter(subject=OuterRef("scope"), key_id=OuterRef("key_id"))
    users = [f"{SUBJECT}{pk}" for pk in get_user_model().objects.values_list("pk", flat=True)]
    keys = (
        DataKey.objects.filter(scope__startswith=SUBJECT)
        .exclude(scope__startswith=ANON)
        .exclude(status=DataKey.Status.DESTROYED)
        .filter(Exists(same_key.filter(event__chain=chain)))
        .exclude(Exists(same_key.filter(Q(event__created_at__gte=cutoff) | ~Q(event__chain=chain))))
        .exclude(scope__in=users)
    )
    if held:
        keys = keys.exclude(scope__in=[f"{SUBJECT}{subject}" for subject in held])
    return keys


def _shred(*, workspace_id, ids, action) -> int:
    return keyring.destroy_keys(ids)


def _anon_pending(*, workspace_id, cutoff, held):
    return DataKey.objects.filter(
        scope__startswith=ANON, scope__lt=f"{ANON}{cutoff:%Y-%m}"
    ).exclude(status=DataKey.Status.DESTROYED)


def _sessions_pending(*, workspace_id, cutoff, held):
    return UserSession.objects.filter(last_seen_at__lt=cutoff)


def _receipts_pending(*, workspace_id, cutoff, held):
    rows = ThirdPartyReceipt.objects.filter(
        workspace_id=workspace_id, created_at__lt=cutoff, keep_until__lt=timezone.now()
    )
    return rows.exclude(subject_id__in=held) if held else rows


def _provisions_pending(*, workspace_id, cutoff, held):
    rows = ProvisionRecord.objects.filter(
        workspace_id=workspace_id, provided_at__lt=cutoff, keep_until__lt=timezone.now()
    )
    if held:  # a record that names a held person is kept whole
        naming = ProvisionSubject.objects.filter(record_id=OuterRef("pk"), subject_id__in=held)
        rows = rows.exclude(Exists(naming))
    return rows


register(
    Target(
        code="privacy.receipts",
        label=_("Records of receiving data from third parties"),
        help_text=_(
            "Who provided a person's data, when, and the consent to the sharing. "
            "Never deleted before the 3 years the law asks for."
        ),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="third_party_record",
        pending=_receipts_pending,
        apply=delete_rows(ThirdPartyReceipt),
        default_enabled=True,
        order=80,
    )
)
register(
    Target(
        code="privacy.provisions",
        label=_("Records of providing data to third parties"),
        help_text=_(
            "Which people's data went to which recipient, and when. "
            "Never deleted before the 3 years the law asks for."
        ),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="third_party_record",
        pending=_provisions_pending,
        apply=delete_rows(ProvisionRecord),
        default_enabled=True,
        order=80,
    )
)
register(
    Target(
        code="audit.details",
        label=_("Personal details of the audit trail"),
        help_text=_(
            "IP addresses, browsers and before/after values kept beside audit events. "
            "Shredding destroys their keys; the trail itself stays verifiable."
        ),
        actions=(Action.SHRED,),
        default_action=Action.SHRED,
        inventory_retention="audit",
        pending=_audit_pending,
        apply=_shred,
        default_enabled=True,
        order=50,
    )
)
register(
    Target(
        code="security.ip_details",
        label=_("Network details of security events"),
        help_text=_("IP addresses and browsers of events that name no account."),
        actions=(Action.SHRED,),
        default_action=Action.SHRED,
        inventory_retention="security",
        pending=_anon_pending,
        apply=_shred,
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=60,
    )
)
register(
    Target(
        code="accounts.sessions",
        label=_("Sign-in sessions"),
        help_text=_("Session records (device, IP address) not used for the period."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="session",
        pending=_sessions_pending,
        apply=delete_rows(UserSession),
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=70,
    )
)


def _remove_consent_and_restriction_words(*, workspace_id, contact_ids) -> None:
    """Consent evidence (text and files) and a restriction's reasons of these
    contacts; a queryset delete and update, as the erasure's: the rows are
    append-only for the services (``privacy.models.AppendOnly``)."""
    events = ConsentEvent.objects.filter(
        among("subject_id", contact_ids), workspace_id=workspace_id
    )
    ConsentEvidenceFile.objects.filter(
        workspace_id=workspace_id, event__in=events.values("pk")
    ).delete()
    events.exclude(evidence="").update(evidence="")
    Restriction.objects.filter(among("subject_id", contact_ids), workspace_id=workspace_id).update(
        reason="", requested_by="", lift_reason=""
    )


register_person_part("privacy.consent_and_restriction", _remove_consent_and_restriction_words)
