"""What contacts tell the request engine (P9): who has an address, and
everything held on a person (their record, emails, phones, company)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm.contacts import search
from terabox_crm.contacts.models import Company, Contact, ContactEmail, ContactPhone
from terabox_crm.crypto import normalise
from terabox_crm.dsr.registry import (
    records_section,
    register_collector,
    register_subject_finder,
    register_subject_labeller,
)


def contacts_with_email(workspace_id, email: str) -> list:
    """Contacts holding ``email`` (normalised): blind-index candidates, then
    their decrypted addresses compared, so a truncated term's false positive
    never counts."""
    candidates = search.candidate_ids(workspace_id, search.CONTACT_EMAIL, email)
    if not candidates:
        return []
    with scope(workspace=workspace_id):
        rows = ContactEmail.objects.filter(workspace_id=workspace_id, contact_id__in=candidates)
        return sorted(
            {row.contact_id for row in rows if normalise.email(row.value, check=False) == email}
        )


def contact_names(workspace_id, subject_ids) -> dict:
    """The names the request screen shows for the people found."""
    contacts = Contact.objects.filter(workspace_id=workspace_id, pk__in=subject_ids)
    return {
        contact.pk: " ".join(part for part in (contact.family_name, contact.given_name) if part)
        for contact in contacts
    }


def person(workspace_id, subject_ids):
    contacts = Contact.objects.filter(workspace_id=workspace_id, pk__in=subject_ids).order_by("pk")
    yield records_section(
        "person",
        _("Your record"),
        contacts,
        [
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "job_title",
            "stage",
            "source",
            "source_detail",
            "notes",
            "created_at",
            "updated_at",
        ],
    )
    yield records_section(
        "emails",
        _("Email addresses"),
        ContactEmail.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids).order_by(
            "contact_id", "id"
        ),
        ["value", "label", "is_primary"],
    )
    yield records_section(
        "phones",
        _("Phone numbers"),
        ContactPhone.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids).order_by(
            "contact_id", "id"
        ),
        ["value", "label", "is_primary"],
    )
    company_ids = contacts.exclude(company_id=None).values("company_id")
    yield records_section(
        "company",
        _("Company"),
        Company.objects.filter(workspace_id=workspace_id, pk__in=company_ids).order_by("pk"),
        ["name", "name_kana", "website", "phone", "postal_code", "region", "city", "street"],
    )


register_subject_finder("contacts.email", contacts_with_email)
register_subject_labeller("contacts.name", contact_names)
register_collector("contacts", person, order=10)
