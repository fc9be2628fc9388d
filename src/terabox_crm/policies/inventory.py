"""Personal-data inventory of policies (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

non_personal(
    "policies.PolicyVersion",
    "kind",
    "body_ja",
    "body_en",
    "summary_ja",
    "summary_en",
    why="the operator's published policy texts in Japanese and English",
)
personal(
    "policies.PolicyAcceptance",
    "ip",
    category=Category.DEVICE,
    purposes=(Purpose.LEGAL, Purpose.SECURITY),
    retention="account",
    # The evidence of acceptance (P10).
    note=_("where a user accepted a policy version: the evidence of acceptance"),
)
non_personal(
    "policies.NoticeDispatch",
    "audience",
    "status",
    "cursor",
    why="an audience name, a status and the last recipient id done (ids only)",
)
non_personal(
    "policies.NoticeRecipient",
    "address_index",
    why="keyed hash of an address told of a policy version, so it is told once",
)
