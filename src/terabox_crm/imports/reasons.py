"""What an import row's reason code says, in the reader's language. The
rows keep codes and field keys only (never a value of the file), so the
screen, the API and the report all say it from here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.imports import columns

REASONS = {
    "duplicate_in_file": _("The same email address or company name is on an earlier row."),
    "duplicate_existing": _("A record with this email address or company name exists."),
    "consent_reference_required": _(
        "From a third party without a consent reference: who consented to the sharing, "
        "when, and the evidence."
    ),
    "invalid_date": _("The date of the consent is not a date."),
    "future_date": _("The consent cannot be dated in the future."),
    "invalid": _("A value is missing or not valid."),
    "permission_denied": _("You may not change this record."),
    "restricted": _(
        "The person's data is under restriction of use: only a privacy officer may change it."
    ),
    "suppressed": _(
        "An erased person's email address or phone number: the record was flagged for review."
    ),
}

FIELD_NAMES = {
    "family_name": _("Family name"),
    "given_name": _("Given name"),
    "email": _("Email address"),
    "phone": _("Phone number"),
    "company": _("Company name"),
    "stage": _("Lifecycle stage"),
    "provider": _("Third party"),
    "obtained_how": _("How the third party obtained the data"),
}


def reason(code: str) -> str:
    return str(REASONS.get(code, code))


def field_label(resource: str, field: str) -> str:
    if not field:
        return ""
    if field in FIELD_NAMES:
        return str(FIELD_NAMES[field])
    return str(columns.label_of(resource, field))
