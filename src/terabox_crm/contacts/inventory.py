"""Personal-data inventory of companies and contacts (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

_CRM = (Purpose.COMMUNICATION, Purpose.SUPPORT)

for model, field, category, note in (
    ("contacts.Contact", "family_name", Category.IDENTITY, _("family name")),
    ("contacts.Contact", "given_name", Category.IDENTITY, _("given name")),
    ("contacts.Contact", "family_name_kana", Category.IDENTITY, _("reading of the family name")),
    ("contacts.Contact", "given_name_kana", Category.IDENTITY, _("reading of the given name")),
    ("contacts.Contact", "job_title", Category.IDENTITY, _("job title")),
    ("contacts.Contact", "source_detail", Category.ACTIVITY, _("where the contact came from")),
    ("contacts.Contact", "notes", Category.COMMUNICATION, _("free notes about the contact")),
    ("contacts.ContactEmail", "value", Category.CONTACT, _("email address")),
    ("contacts.ContactPhone", "value", Category.CONTACT, _("phone number")),
    ("contacts.Company", "name", Category.IDENTITY, _("company or sole proprietor's name")),
    ("contacts.Company", "name_kana", Category.IDENTITY, _("reading of the company name")),
    ("contacts.Company", "phone", Category.CONTACT, _("company phone number")),
    ("contacts.Company", "postal_code", Category.CONTACT, _("postal code")),
    ("contacts.Company", "region", Category.CONTACT, _("prefecture or region")),
    ("contacts.Company", "city", Category.CONTACT, _("city")),
    ("contacts.Company", "street", Category.CONTACT, _("street address")),
    ("contacts.Company", "notes", Category.COMMUNICATION, _("free notes about the company")),
):
    personal(model, field, category=category, purposes=_CRM, retention="crm_record", note=note)

non_personal("contacts.Tag", "name", why="a label the workspace chose for grouping records")
non_personal(
    "contacts.Company",
    "website",
    "industry",
    why="the organisation's public website and an industry label",
)
non_personal(
    "contacts.Contact",
    "stage",
    "source",
    "anonymised_at",
    why="lifecycle stage and source codes; when a retention rule anonymised the contact",
)
non_personal("contacts.ContactEmail", "label", why="a label such as work or home")
non_personal("contacts.ContactPhone", "label", why="a label such as work or mobile")
non_personal(
    "contacts.SavedView", "name", "filters", why="a list filter's name and its ids and codes"
)
