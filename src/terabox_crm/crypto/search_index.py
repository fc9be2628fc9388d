"""Blind-index terms for exact and whole-token search on encrypted fields.

One table holds every searchable term of every tenant row: ``(workspace,
domain, term, object_id)``, where ``domain`` names the field
(``contacts.contact.email``), ``term`` is the truncated keyed hash of one
normalised value or name token, and ``object_id`` the row. A search computes
the term, fetches candidate ids by index, and the caller decrypts the
candidates and compares plaintext, so truncation's false positives never
reach a user. Nothing here knows the CRM's models.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from terabox_crm.crypto import blind_index
from terabox_crm.crypto.models import SearchTerm

# Index length per domain: set from the expected rows of one workspace
# (docs/decisions/0005-blind-index-leakage.md). Registered by domain apps.
_bits: dict[str, int] = {}


def register(domain: str, *, expected_rows: int) -> None:
    _bits[domain] = blind_index.bits_for(expected_rows)


def bits(domain: str) -> int:
    try:
        return _bits[domain]
    except KeyError:
        raise ValueError(f"search domain {domain!r} is not registered") from None


def term(workspace_id, domain: str, normalised: str) -> int:
    return blind_index.truncated(
        normalised, scope=str(workspace_id), domain=domain, bits=bits(domain)
    )


@transaction.atomic
def replace(workspace_id, domain: str, object_id, normalised_values: Iterable[str]) -> None:
    """Make the row's terms in ``domain`` exactly those of ``normalised_values``."""
    terms = {term(workspace_id, domain, value) for value in normalised_values if value}
    SearchTerm.objects.filter(
        workspace_id=workspace_id, domain=domain, object_id=object_id
    ).delete()
    SearchTerm.objects.bulk_create(
        SearchTerm(workspace_id=workspace_id, domain=domain, term=value, object_id=object_id)
        for value in sorted(terms)
    )


def forget(workspace_id, object_id) -> None:
    """Drop every term of a row (deletion, erasure)."""
    SearchTerm.objects.filter(workspace_id=workspace_id, object_id=object_id).delete()


def candidates(workspace_id, domain: str, normalised: str):
    """Ids of rows that may hold ``normalised`` in ``domain`` (a subquery-able queryset)."""
    return SearchTerm.objects.filter(
        workspace_id=workspace_id, domain=domain, term=term(workspace_id, domain, normalised)
    ).values("object_id")
