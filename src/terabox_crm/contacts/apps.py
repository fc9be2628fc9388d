from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContactsConfig(AppConfig):
    name = "terabox_crm.contacts"
    label = "contacts"
    verbose_name = _("Companies and contacts")

    def ready(self) -> None:
        _register_audit_targets()
        from terabox_crm.audit import actions
        from terabox_crm.contacts import events, listing, rules, search
        from terabox_crm.core import bus, policy, records
        from terabox_crm.crypto import search_index
        from terabox_crm.lists import anatomy

        anatomy.register(listing.CONTACTS)
        anatomy.register(listing.COMPANIES)

        texts = {
            "contacts.view": _("See contacts with their names, emails, phones and notes"),
            "contacts.add": _("Create contacts"),
            "contacts.change": _("Edit contacts one owns or one's team owns (admins: all)"),
            "contacts.delete": _("Delete contacts one owns or one's team owns (admins: all)"),
            "companies.view": _("See companies with their addresses, phones and notes"),
            "companies.add": _("Create companies"),
            "companies.change": _("Edit companies one owns or one's team owns (admins: all)"),
            "companies.delete": _("Delete companies one owns or one's team owns (admins: all)"),
        }
        rule_of = {
            "view": rules.can_read,
            "add": rules.can_create,
            "change": rules.can_write,
            "delete": rules.can_write,
        }
        records.register_lock(  # a restricted timeline (P7)
            rules.restriction_lock, preload=rules.preload_restriction_lock
        )
        for action, text in texts.items():
            verb = action.split(".")[1]
            policy.register(
                action, rule_of[verb], text, exposes_personal_data=verb in {"view", "change"}
            )
        policy.register(
            "contacts.merge",
            rules.can_write,
            _("Merge duplicate contacts one may edit"),
            exposes_personal_data=True,
        )

        actions.register("contacts.contact.created", _("Contact created"))
        actions.register("contacts.contact.updated", _("Contact updated"))
        actions.register("contacts.contact.deleted", _("Contact deleted"))
        actions.register("contacts.contact.merged", _("Contacts merged"))
        actions.register("contacts.company.created", _("Company created"))
        actions.register("contacts.company.updated", _("Company updated"))
        actions.register("contacts.company.deleted", _("Company deleted"))
        bus.declare(events.DECLARED)

        # The data subjects of the privacy engine (P3, P7).
        from terabox_crm.contacts import privacy

        privacy.register()

        # Blind-index lengths from the expected rows of one workspace (S3).
        for domain in search.CONTACT_DOMAINS:
            search_index.register(domain, expected_rows=1_000_000)
        for domain in search.COMPANY_DOMAINS:
            search_index.register(domain, expected_rows=100_000)
        # Prefix terms (typeahead, a workspace option): about four name tokens
        # per contact (family, given and their readings), about five per
        # company (its name whole and its words, and the reading:
        # docs/decisions/0010-company-name-search.md).
        search_index.register_prefixes(search.CONTACT_NAME, expected_terms=4_000_000)
        search_index.register_prefixes(search.COMPANY_NAME, expected_terms=500_000)
        from terabox_crm.contacts.models import Company, Contact

        search_index.register_prefix_source(
            "contacts.company",
            domain=search.COMPANY_NAME,
            model=Company,
            tokens=search.company_name_tokens,
        )
        search_index.register_prefix_source(
            "contacts.contact",
            domain=search.CONTACT_NAME,
            model=Contact,
            tokens=search.contact_name_parts,
        )
        # Whole-token terms the reindex job rewrites (``terabox-crm search reindex``).
        search_index.register_reindex_source(
            "contacts.company",
            domain=search.COMPANY_NAME,
            model=Company,
            tokens=search.company_name_tokens,
        )
        search_index.register_reindex_source(
            "contacts.contact",
            domain=search.CONTACT_NAME,
            model=Contact,
            tokens=search.contact_name_tokens,
        )


def _register_audit_targets() -> None:
    """The audit trail names these records and links to them (audit/targets.py)."""
    from terabox_crm.audit import targets
    from terabox_crm.contacts.models import Company, Contact
    from terabox_crm.core import records

    targets.register(
        "contacts.contact",
        label=pgettext_lazy("record type", "Contact"),
        resolve=records.target_resolver(
            Contact, "contacts:detail", lambda contact: contact.display_name
        ),
    )
    targets.register(
        "contacts.company",
        label=pgettext_lazy("record type", "Company"),
        resolve=records.target_resolver(Company, "companies:detail", lambda company: company.name),
    )
