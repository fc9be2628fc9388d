"""The contacts app's part of an erasure (P8; docs/privacy-erasure.md).

The contact row, its emails, phones and tag links are deleted; their search
terms go with the engine's eraser (the contact's id is among the erased
ids). Companies are business records and stay. The person's identifiers
(normalised emails and phones, full names) are handed to the erasure engine
for the tombstone's keyed hashes and for finding queued mail that names
them; after a restore, ``_holders`` walks the workspace's stored emails and
phones in batches to find anyone holding an erased address again.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
from terabox_crm.crypto import normalise
from terabox_crm.crypto.fields import DecryptionError
from terabox_crm.erasure.registry import (
    Eraser,
    Erasure,
    IdentifierSource,
    register,
    register_identifiers,
)

BATCH = 1000


def _fold(kind: str, value: str) -> str:
    try:
        return normalise.email(value) if kind == "email" else normalise.phone(value)
    except ValueError:
        return ""


def _identifiers(workspace_id, subject_id) -> dict[str, set[str]]:
    contact = Contact.objects.filter(workspace_id=workspace_id, pk=subject_id).first()
    if contact is None:
        return {}
    emails = ContactEmail.objects.filter(workspace_id=workspace_id, contact_id=subject_id)
    phones = ContactPhone.objects.filter(workspace_id=workspace_id, contact_id=subject_id)
    names = set()
    family, given = contact.family_name or "", contact.given_name or ""
    if family and given:
        names |= {f"{family}{given}", f"{family} {given}", f"{given} {family}"}
    kana = f"{contact.family_name_kana or ''}{contact.given_name_kana or ''}"
    if contact.family_name_kana and contact.given_name_kana:
        names |= {kana, contact.kana}
    return {
        "email": {f for f in (_fold("email", e.value) for e in emails) if f},
        "phone": {f for f in (_fold("phone", p.value) for p in phones) if f},
        "name": {n for n in names if n},
    }


def _exists(workspace_id, subject_id) -> bool:
    return Contact.objects.filter(workspace_id=workspace_id, pk=subject_id).exists()


def _holders(workspace_id, match) -> set:
    """Contacts holding an email or phone for which ``match(kind, value)`` is true."""
    found = set()
    for kind, model in (("email", ContactEmail), ("phone", ContactPhone)):
        rows = model.objects.filter(workspace_id=workspace_id).order_by("pk")
        last = None
        while True:
            batch = list((rows.filter(pk__gt=last) if last else rows)[:BATCH])
            if not batch:
                break
            last = batch[-1].pk
            for row in batch:
                try:
                    value = _fold(kind, row.value)
                except DecryptionError:
                    continue
                if value and match(kind, value):
                    found.add(row.contact_id)
    return found


def _erase(erasure: Erasure) -> None:
    ws, subject = erasure.workspace_id, erasure.subject_id
    Contact.tags.through.objects.filter(contact_id=subject).delete()
    emails = ContactEmail.objects.filter(workspace_id=ws, contact_id=subject)
    phones = ContactPhone.objects.filter(workspace_id=ws, contact_id=subject)
    erasure.erased("contacts.email", emails.values_list("pk", flat=True))
    erasure.erased("contacts.phone", phones.values_list("pk", flat=True))
    emails.delete()
    phones.delete()
    contact = Contact.objects.filter(workspace_id=ws, pk=subject)
    erasure.erased("contacts.contact", contact.values_list("pk", flat=True))
    contact.delete()


def _preview(workspace_id, subject_id) -> int:
    return Contact.objects.filter(workspace_id=workspace_id, pk=subject_id).count()


register(
    Eraser(
        "contacts.contact",
        _erase,
        description=_("The contact with its names, emails, phones, notes and tags is deleted"),
        preview=_preview,
        order=50,
    )
)


def _describe(workspace_id, subject_id) -> str:
    contact = Contact.objects.filter(workspace_id=workspace_id, pk=subject_id).first()
    return contact.display_name if contact else ""


register_identifiers(
    IdentifierSource(
        "contacts.contact",
        of=_identifiers,
        exists=_exists,
        holders=_holders,
        describe=_describe,
    )
)
