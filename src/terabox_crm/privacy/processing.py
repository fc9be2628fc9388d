"""What the privacy engine tells the record of processing (P2, P4;
``policies.processing``): the workspace's purposes with their lawful basis,
and the third parties its provision records name, with the purposes they
received data for. Registered from ``apps.ready()``; the engine knows the
recipients through its own records, never through the apps that provide
(webhooks, exports)."""

from __future__ import annotations

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from terabox_crm.policies import processing
from terabox_crm.privacy.models import LawfulBasis, ProvisionRecord, Purpose

# The lawful basis in words, for the record of processing an auditor reads.
BASIS_NOTES = {
    LawfulBasis.CONSENT: _(
        "Used only for the people who gave their consent and have not withdrawn it; "
        "each grant and withdrawal is kept in the consent ledger."
    ),
    LawfulBasis.CONTRACT: _(
        "Needed to perform a contract with the person, or to take the steps they "
        "asked for before one."
    ),
    LawfulBasis.LEGITIMATE_INTEREST: _(
        "The workspace's legitimate interest, weighed against the person's rights; "
        "the person may object, and their use can be restricted."
    ),
    LawfulBasis.LEGAL_OBLIGATION: _(
        "Required by law; the only purpose that may still use a person whose use is restricted."
    ),
}


def _pk(workspace):
    return getattr(workspace, "pk", workspace)


def purposes(workspace) -> list[processing.PurposeEntry]:
    """The workspace's purposes (built-in first), names, descriptions and
    basis in the active language."""
    with scopes_disabled():
        found = list(Purpose.objects.filter(workspace_id=_pk(workspace)))
    return [
        processing.PurposeEntry(
            code=purpose.code,
            name=purpose.name,
            basis=str(LawfulBasis(purpose.lawful_basis).label),
            description=purpose.description,
            basis_note=str(BASIS_NOTES.get(purpose.lawful_basis, "")),
            consent_needed=purpose.needs_consent,
        )
        for purpose in found
    ]


def recipients(workspace) -> list[processing.RecipientEntry]:
    """The third parties of the provision records, once each, with the
    purposes they received data for (every purpose when a record does not
    say). The database keeps the latest record per endpoint or export and
    purpose (a window function), so only those few rows are read and their
    recipient decrypted, however many records there are."""
    with scopes_disabled():
        latest = (
            ProvisionRecord.objects.filter(workspace_id=_pk(workspace))
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("channel"), F("reference"), F("purpose")],
                    order_by=[F("provided_at").desc(), F("id").desc()],
                )
            )
            .filter(rank=1)
            .only("id", "workspace_id", "recipient", "purpose")
        )
        by_name: dict[str, set[str]] = {}
        for record in latest:
            by_name.setdefault(record.recipient, set()).add(record.purpose)
    return [
        processing.RecipientEntry(
            name=name,
            purposes=() if "" in codes else tuple(sorted(codes)),
            third_party=True,
        )
        for name, codes in sorted(by_name.items())
    ]


def register() -> None:
    processing.set_purpose_source(purposes)
    processing.register_recipient_source(recipients)
