"""Personal-data inventory of policies (P1)."""

from terabox_crm.inventory import non_personal

non_personal(
    "policies.PolicyVersion",
    "kind",
    "body_ja",
    "body_en",
    "summary_ja",
    "summary_en",
    why="the operator's published policy texts in Japanese and English",
)
