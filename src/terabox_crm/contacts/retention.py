"""Anonymising contacts for the retention engine (P5).

A retention rule that anonymises a contact removes the person and keeps the
record's shape: the row stays (so deals keep their contact link, amounts and
stage history, and pipeline totals do not move), its name, readings, job
title, notes and source detail are blanked, its emails, phones, tags and
blind-index terms are deleted, the other apps' rows that keep the person's
words lose them (``registry.remove_person_parts``: consent evidence, a
restriction's reasons, tickets, deal names), and its audit details are
shredded (its subject key destroyed). Set-based: a handful of statements per
batch, whatever its size. This is not an erasure (no tombstone, no suppression): it
is the end of a record's retention, and the erasure engine stays separate.
The contact keeps when it was anonymised (``anonymised_at``), so a later run
does not read it again unless it was changed since.

The target that decides *which* contacts ("leads with no activity for N
days") is registered by the activities app, which can see both contacts and
their activities (``activities/retention.py``).
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
from terabox_crm.core import records
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey, SearchTerm
from terabox_crm.retention.registry import among, register_subject_lookup, remove_person_parts

BLANKED = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "job_title",
    "source_detail",
    "notes",
)


def not_anonymised(contacts: QuerySet) -> QuerySet:
    """``contacts`` not anonymised since they last changed: never, or edited
    after (``anonymise`` leaves ``updated_at`` as it was). Tested in the
    index the walk reads, so an anonymised contact's row is not read again."""
    return contacts.filter(Q(anonymised_at__isnull=True) | Q(anonymised_at__lt=F("updated_at")))


def anonymise(*, workspace_id, contact_ids) -> int:
    """Remove the person from these contacts of ``workspace_id``; returns rows changed."""
    if not isinstance(contact_ids, list):
        contact_ids = list(contact_ids)
    if not contact_ids:
        return 0
    # The retention batch's table, or the list.
    rows = Contact.objects.filter(among("pk", contact_ids), workspace_id=workspace_id)
    changed = rows.update(**{name: "" for name in BLANKED}, anonymised_at=timezone.now())
    of_contacts = among("contact_id", contact_ids)
    ContactEmail.objects.filter(of_contacts, workspace_id=workspace_id).delete()
    ContactPhone.objects.filter(of_contacts, workspace_id=workspace_id).delete()
    Contact.tags.through.objects.filter(of_contacts).delete()
    SearchTerm.objects.filter(among("object_id", contact_ids), workspace_id=workspace_id).delete()
    # Other apps' rows that keep the person's words (consent evidence, a
    # restriction's reasons, tickets, deal names): their registered parts.
    remove_person_parts(workspace_id=workspace_id, contact_ids=contact_ids)
    scopes = [f"subject:{pk}" for pk in contact_ids]
    keyring.destroy_keys(DataKey.objects.filter(scope__in=scopes).values_list("key_id", flat=True))
    return changed


def _readable_contact(membership, subject_id):
    return records.find_readable(membership, Contact, subject_id)


register_subject_lookup(_readable_contact)
