"""Object-level policy rules for companies and contacts, registered with
``core.policy`` in ``apps.ready()``: the shared owner/team rules of
``core.records`` (the twin of ``RecordQuerySet.visible_to``/``editable_by``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.core.records import lock_cache, write_rule
from terabox_crm.core.records import read_rule as can_read
from terabox_crm.core.roles import RANK, Capability, Role
from terabox_crm.privacy import selectors as privacy

__all__ = ["can_create", "can_read", "can_write", "restriction_lock"]

RESTRICTED_READ_ONLY = _(
    "The use of this person's data is restricted: only a privacy officer can "
    "change their record or add to, change or delete anything on their timeline."
)


def is_restricted(contact) -> bool:
    """Whether the use of ``contact``'s data is restricted (P7), asked once per
    loaded object."""
    cached = getattr(contact, "_privacy_restricted", None)
    if cached is None:
        cached = privacy.is_restricted(contact.workspace_id, contact.pk)
        contact._privacy_restricted = cached
    return cached


def can_write(membership, obj) -> bool:
    """The owner/team rule; a restricted contact (利用停止, P7) is read-only for
    everyone but privacy officers."""
    if not write_rule(membership, obj):
        return False
    if obj is None or obj._meta.label != "contacts.Contact":
        return True
    return Capability.PRIVACY_OFFICER in membership.capabilities or not is_restricted(obj)


def can_create(membership, obj) -> bool:
    return RANK[membership.role] >= RANK[Role.MEMBER]


def restriction_lock(membership, record):
    """A ``core.records`` lock (P7): a restricted contact, and every record
    linked to it (activities, tasks, tickets, deals), is read-only for
    everyone but privacy officers. One query per contact per membership object."""
    if Capability.PRIVACY_OFFICER in membership.capabilities:
        return None
    meta = getattr(record, "_meta", None)
    if meta is not None and meta.label == "contacts.Contact":
        return RESTRICTED_READ_ONLY if is_restricted(record) else None
    contact_id = getattr(record, "contact_id", None)
    if contact_id is None:
        return None
    known = lock_cache(membership)
    key = ("contacts.restricted", str(contact_id))
    if key not in known:
        known[key] = privacy.is_restricted(record.workspace_id, contact_id)
    return RESTRICTED_READ_ONLY if known[key] else None


def preload_restriction_lock(membership, records) -> None:
    """``restriction_lock`` for many records at once, in one query: contacts
    (a bulk change of 1,000 of them) and the contacts of linked records."""
    if Capability.PRIVACY_OFFICER in membership.capabilities:
        return
    known = lock_cache(membership)
    contacts = [
        record
        for record in records
        if getattr(getattr(record, "_meta", None), "label", None) == "contacts.Contact"
        and getattr(record, "_privacy_restricted", None) is None
    ]
    wanted = {
        str(contact_id)
        for record in records
        if (contact_id := getattr(record, "contact_id", None)) is not None
        and ("contacts.restricted", str(contact_id)) not in known
    } | {str(contact.pk) for contact in contacts}
    if not wanted:
        return
    restricted = {str(pk) for pk in privacy.restricted_ids(membership.workspace_id, wanted)}
    for contact_id in wanted:
        known[("contacts.restricted", contact_id)] = contact_id in restricted
    for contact in contacts:
        contact._privacy_restricted = str(contact.pk) in restricted
