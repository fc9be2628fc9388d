"""API shapes of companies and contacts. ``*Out`` is what the API returns,
``*In`` what it accepts; ``*In`` only checks shapes — the services validate
meaning (foreign ids, email/phone formats, sizes) for web and API alike."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from terabox_crm import inventory
from terabox_crm.api import serializers
from terabox_crm.contacts import rules
from terabox_crm.contacts.models import NOTES_MAX_LENGTH, Source, Stage
from terabox_crm.contacts.selectors import SORTS
from terabox_crm.contacts.services import CHANNELS_MAX
from terabox_crm.contacts.services import TEXT_MAX_LENGTH as TEXT_MAX
from terabox_crm.privacy import selectors as privacy


class ContactEmailOut(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    is_primary = serializers.BooleanField()


class ContactPhoneOut(ContactEmailOut):
    value = serializers.CharField(help_text="E.164, e.g. +81312345678")


class ContactOut(serializers.Serializer):
    id = serializers.UUIDField()
    family_name = serializers.CharField()
    given_name = serializers.CharField()
    family_name_kana = serializers.CharField()
    given_name_kana = serializers.CharField()
    display_name = serializers.CharField(
        help_text="Family name first for a name in Japanese script, given name first for "
        "one in Latin letters."
    )
    company_id = serializers.UUIDField(allow_null=True)
    job_title = serializers.CharField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    owner_id = serializers.UUIDField(allow_null=True)
    team_id = serializers.UUIDField(allow_null=True)
    tag_ids = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=Source.choices)
    source_detail = serializers.CharField()
    notes = serializers.CharField()
    emails = ContactEmailOut(many=True, source="emails.all")
    phones = ContactPhoneOut(many=True, source="phones.all")
    restricted = serializers.SerializerMethodField(
        help_text="The use of this contact's data is restricted (restriction of processing): "
        "read-only except for privacy officers, used for legal obligations only."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_tag_ids(self, contact) -> list[str]:
        return [str(tag.pk) for tag in contact.tags.all()]

    @staticmethod
    def context_for(contacts) -> dict:
        """The serializer context of a list: whether each is restricted, asked
        once for the page (P7)."""
        contacts = list(contacts)
        if not contacts:
            return {"restricted_ids": set()}
        workspace_id = contacts[0].workspace_id
        return {"restricted_ids": privacy.restricted_ids(workspace_id, [c.pk for c in contacts])}

    def get_restricted(self, contact) -> bool:
        known = self.context.get("restricted_ids")
        if known is not None:
            return contact.pk in known
        return rules.is_restricted(contact)


SUPPRESSED_ADDRESS = "suppressed-address"
WARNING_CODES = [SUPPRESSED_ADDRESS]


class WarningOut(serializers.Serializer):
    """Something the caller should know about a write that went through."""

    code = serializers.ChoiceField(
        choices=WARNING_CODES,
        help_text="Stable, for programs. `suppressed-address`: an email or phone number "
        "of the new contact belonged to a person erased at their request (the "
        "suppression list, P8); the contact is created and the match audited, "
        "but check that the person wants to be contacted again before using it.",
    )
    detail = serializers.CharField(help_text="For people, in the request's language.")
    values = serializers.ListField(
        child=serializers.CharField(), help_text="The addresses or numbers concerned, as given."
    )


class ContactCreatedOut(ContactOut):
    warnings = serializers.SerializerMethodField(
        help_text="Warnings about the create (empty when none), each with a stable `code`."
    )

    @extend_schema_field(WarningOut(many=True))
    def get_warnings(self, contact) -> list[dict]:
        return self.context.get("warnings", [])


class ContactEmailIn(serializers.NestedIn):
    value = serializers.CharField(max_length=254)
    label = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


class ContactPhoneIn(ContactEmailIn):
    value = serializers.CharField(max_length=64)


class ThirdPartyReceiptIn(serializers.Serializer):
    """Where a contact from a third party came from (P4): required with
    ``source: third_party``, refused without the consent reference."""

    provider = serializers.CharField(max_length=200, help_text="Who provided the data.")
    obtained_how = serializers.CharField(
        max_length=TEXT_MAX, help_text="How the provider obtained it."
    )
    consent_by = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who consented to the sharing.",
    )
    consent_at = serializers.DateField(required=False, allow_null=True, default=None)
    consent_evidence = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=inventory.Category.choices), allow_empty=True
    )


class ContactIn(serializers.Serializer):
    """A contact's values. On PATCH, omitted fields keep their values; ``emails``,
    ``phones`` and ``tag_ids``, when given, replace the whole list. The first
    email/phone is primary unless one says ``is_primary``."""

    family_name = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    given_name = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    family_name_kana = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    given_name_kana = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    company_id = serializers.UUIDField(required=False, allow_null=True)
    job_title = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    owner_id = serializers.UUIDField(required=False, allow_null=True)
    team_id = serializers.UUIDField(required=False, allow_null=True)
    tag_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    source_detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    notes = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=NOTES_MAX_LENGTH
    )
    emails = ContactEmailIn(many=True, required=False, max_length=CHANNELS_MAX)
    phones = ContactPhoneIn(many=True, required=False, max_length=CHANNELS_MAX)
    receipt = ThirdPartyReceiptIn(
        required=False,
        help_text="With source third_party, on create: the consent reference and receipt record.",
    )


class ContactMergeIn(serializers.Serializer):
    merge_away = serializers.UUIDField(help_text="The contact to merge into this one and delete.")


class CompanyOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_kana = serializers.CharField()
    website = serializers.CharField()
    phone = serializers.CharField()
    postal_code = serializers.CharField()
    region = serializers.CharField()
    city = serializers.CharField()
    street = serializers.CharField()
    industry = serializers.CharField()
    owner_id = serializers.UUIDField(allow_null=True)
    team_id = serializers.UUIDField(allow_null=True)
    tag_ids = serializers.SerializerMethodField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_tag_ids(self, company) -> list[str]:
        return [str(tag.pk) for tag in company.tags.all()]


class CompanyIn(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    name_kana = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    website = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    postal_code = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    region = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    city = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    street = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    owner_id = serializers.UUIDField(required=False, allow_null=True)
    team_id = serializers.UUIDField(required=False, allow_null=True)
    tag_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    notes = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=NOTES_MAX_LENGTH
    )


class TagOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TagIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)


_SORT_HELP = "Order: newest created first (default), oldest first, or by last change."


class ContactListParams(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    owner = serializers.UUIDField(required=False, help_text="Owner's user id.")
    tag = serializers.UUIDField(required=False, help_text="Tag id.")
    company = serializers.UUIDField(required=False, help_text="Company id.")
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    email = serializers.CharField(
        required=False, max_length=254, help_text="Exact email address (normalised)."
    )
    phone = serializers.CharField(
        required=False, max_length=200, help_text="Exact phone number (+81 or 0, any separators)."
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text=(
            "Whole-token name or kana search (a full name with or without a space),"
            " or an email address or phone number."
        ),
    )
    sort = serializers.ChoiceField(choices=SORTS, required=False, help_text=_SORT_HELP)


class CompanyListParams(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text=(
            "Any word of the name or kana reading (split by a morphological analyser;"
            " legal forms such as Inc., Ltd. or kabushiki kaisha ignored)."
        ),
    )
    owner = serializers.UUIDField(required=False, help_text="Owner's user id.")
    tag = serializers.UUIDField(required=False, help_text="Tag id.")
    sort = serializers.ChoiceField(choices=SORTS, required=False, help_text=_SORT_HELP)
