"""A record on a restricted person's deal is read-only too (P7).

The contacts app locks a restricted contact and every record that names it
(``contacts.rules.restriction_lock``). An activity or a task logged against
a deal names the deal, not always its contact: this lock follows the link
one step, so the deal's timeline is as read-only as the deal itself. A
record that names a contact of its own is answered by the contacts lock.
"""

from __future__ import annotations

from terabox_crm.contacts import rules
from terabox_crm.core.records import lock_cache
from terabox_crm.core.roles import Capability
from terabox_crm.deals.models import Deal


def _key(deal_id) -> tuple[str, str]:
    return ("deals.contact_of", str(deal_id))


def _deal_contact(membership, record):
    """The contact of ``record``'s deal (an id or None), remembered per membership."""
    known = lock_cache(membership)
    key = _key(record.deal_id)
    if key not in known:
        known[key] = (
            Deal.objects.with_scopes_disabled()
            .filter(workspace_id=record.workspace_id, pk=record.deal_id)
            .values_list("contact_id", flat=True)
            .first()
        )
    return known[key]


class _OnDeal:
    """Stands for the deal's contact link when asking the contacts lock."""

    def __init__(self, workspace_id, contact_id) -> None:
        self.workspace_id, self.contact_id = workspace_id, contact_id


def deal_lock(membership, record):
    if Capability.PRIVACY_OFFICER in membership.capabilities:
        return None
    if getattr(record, "contact_id", None) is not None:
        return None  # the contacts lock answers for the record's own contact
    if getattr(record, "deal_id", None) is None or isinstance(record, Deal):
        return None
    contact_id = _deal_contact(membership, record)
    if contact_id is None:
        return None
    return rules.restriction_lock(membership, _OnDeal(record.workspace_id, contact_id))


def preload_deal_lock(membership, records) -> None:
    """``deal_lock`` for many records: one query for their deals' contacts,
    then the contacts lock's own preload for those contacts."""
    if Capability.PRIVACY_OFFICER in membership.capabilities:
        return
    known = lock_cache(membership)
    wanted = {
        str(record.deal_id)
        for record in records
        if getattr(record, "contact_id", None) is None
        and getattr(record, "deal_id", None) is not None
        and _key(record.deal_id) not in known
    }
    if not wanted:
        return
    found = {
        str(pk): contact_id
        for pk, contact_id in Deal.objects.with_scopes_disabled()
        .filter(workspace_id=membership.workspace_id, pk__in=wanted)
        .values_list("pk", "contact_id")
    }
    for deal_id in wanted:
        known[_key(deal_id)] = found.get(deal_id)
    rules.preload_restriction_lock(
        membership,
        [_OnDeal(membership.workspace_id, c) for c in found.values() if c is not None],
    )
