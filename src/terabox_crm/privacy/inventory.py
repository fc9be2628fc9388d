"""Personal-data inventory of the privacy engine (P1): the consent ledger,
restrictions of use and the third-party records (P4, P7)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for model, field, note in (
    ("privacy.ConsentEvent", "evidence", _("what the person said or signed when consenting")),
    ("privacy.ConsentEvidenceFile", "name", _("name of a consent evidence file")),
    ("privacy.ConsentEvidenceFile", "content", _("a signed form or message proving consent")),
    ("privacy.Restriction", "reason", _("why the use of a person's data is restricted")),
    ("privacy.Restriction", "requested_by", _("who asked for the restriction")),
    ("privacy.Restriction", "lift_reason", _("why a restriction was lifted")),
):
    personal(
        model,
        field,
        category=Category.COMMUNICATION,
        purposes=(Purpose.LEGAL,),
        retention="crm_record",
        note=note,
    )
for model, field, note in (
    ("privacy.ThirdPartyReceipt", "provider", _("the third party that provided the data")),
    ("privacy.ThirdPartyReceipt", "obtained_how", _("how the third party obtained the data")),
    ("privacy.ThirdPartyReceipt", "consent_by", _("who consented to the sharing")),
    ("privacy.ThirdPartyReceipt", "consent_evidence", _("evidence of that consent")),
    ("privacy.ProvisionRecord", "recipient", _("the third party the data was provided to")),
):
    personal(
        model,
        field,
        category=Category.ACTIVITY,
        purposes=(Purpose.LEGAL,),
        retention="third_party_record",
        note=note,
    )
non_personal(
    "privacy.Purpose",
    "code",
    "name_ja",
    "name_en",
    "description_ja",
    "description_en",
    "lawful_basis",
    why="the workspace's purposes, written by its admins",
)
non_personal("privacy.ConsentEvent", "kind", "channel", why="codes of the consent ledger")
non_personal("privacy.ConsentEvidenceFile", "content_type", why="a MIME type")
non_personal(
    "privacy.ProvisionRecord",
    "channel",
    "reference",
    "purpose",
    why="a channel code, the id of an endpoint or export and a purpose code",
)
non_personal("privacy.ThirdPartyReceipt", "categories", why="data-category codes of the inventory")
non_personal("privacy.ProvisionRecord", "categories", why="data-category codes of the inventory")
