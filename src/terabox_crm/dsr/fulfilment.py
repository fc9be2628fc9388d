"""Fulfilling a verified request, one small function per kind (P7, P8, P9).

The privacy officer fulfils a request from its screen: each matched person
links to their contact page, where restriction, consent withdrawal,
correction and erasure are done by the services that own them; the request
then records the outcome (``services.request_set_status``).

These functions are the single place where a request kind meets the service
that carries it out. ``access`` is wired here (the access export). The others
name the engine service they call once those engines are merged (the lead
wires them; until then they return ``MANUAL`` and the officer acts on the
contact page):

* restriction → ``privacy.services.restriction_set(membership=…, contact=…, reason=…)``
* withdrawal  → ``privacy.services.consent_withdraw(membership=…, contact=…, purposes=…)``
* deletion    → ``erasure.services.subject_erase(membership=…, subject_id=…, reason=…, request_id=…)``
* correction  → none: the officer edits the contact (what to correct is free text).
"""

from __future__ import annotations

from terabox_crm.core.models import Membership
from terabox_crm.dsr import services
from terabox_crm.dsr.models import Kind, PrivacyRequest

MANUAL = "manual"
STARTED = "started"


def fulfil_access(*, membership: Membership, request: PrivacyRequest) -> str:
    services.export_request(membership=membership, request=request)
    return STARTED


def fulfil_correction(*, membership: Membership, request: PrivacyRequest) -> str:
    return MANUAL


def fulfil_restriction(*, membership: Membership, request: PrivacyRequest) -> str:
    return MANUAL  # lead: privacy.services.restriction_set per subject id


def fulfil_withdrawal(*, membership: Membership, request: PrivacyRequest) -> str:
    return MANUAL  # lead: privacy.services.consent_withdraw per subject id


def fulfil_deletion(*, membership: Membership, request: PrivacyRequest) -> str:
    return MANUAL  # lead: erasure.services.subject_erase per subject id, request_id=request.pk


FULFIL = {
    Kind.ACCESS: fulfil_access,
    Kind.CORRECTION: fulfil_correction,
    Kind.RESTRICTION: fulfil_restriction,
    Kind.WITHDRAWAL: fulfil_withdrawal,
    Kind.DELETION: fulfil_deletion,
}
