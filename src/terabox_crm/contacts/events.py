"""The domain events of companies and contacts (declared on the bus in
``apps.py``; ``core/bus.py`` says how they travel). Webhooks offer them by
these names and labels; a delivery carries the record's id only (P1)."""

from django.utils.translation import pgettext_lazy

from terabox_crm.core.bus import Event

DECLARED = (
    Event("contact.created", pgettext_lazy("webhook event", "Contact created"), "contacts.contact"),
    Event("contact.updated", pgettext_lazy("webhook event", "Contact updated"), "contacts.contact"),
    Event("contact.deleted", pgettext_lazy("webhook event", "Contact deleted"), "contacts.contact"),
    # The id is the contact that was kept; the other one gets contact.deleted.
    Event("contact.merged", pgettext_lazy("webhook event", "Contacts merged"), "contacts.contact"),
    Event("company.created", pgettext_lazy("webhook event", "Company created"), "contacts.company"),
    Event("company.updated", pgettext_lazy("webhook event", "Company updated"), "contacts.company"),
    Event("company.deleted", pgettext_lazy("webhook event", "Company deleted"), "contacts.company"),
)
