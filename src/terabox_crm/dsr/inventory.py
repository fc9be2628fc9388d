"""Personal-data inventory of data-subject requests (P1, P9)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for model in ("dsr.Submission", "dsr.PrivacyRequest"):
    personal(
        model,
        "email",
        category=Category.CONTACT,
        purposes=(Purpose.LEGAL,),
        retention="invitation" if model == "dsr.Submission" else "audit",
        note=_("the address a data-subject request came from, to verify it and answer it"),
    )
    personal(
        model,
        "details",
        category=Category.COMMUNICATION,
        purposes=(Purpose.LEGAL,),
        retention="invitation" if model == "dsr.Submission" else "audit",
        note=_("what the person asked for (what to correct, which purposes)"),
    )
    non_personal(
        model,
        "email_index",
        "kind",
        "language",
        "token_hash",
        why="keyed hash of the address, request kind, language, hash of the link token",
    )
personal(
    "dsr.PrivacyRequest",
    "postal_address",
    category=Category.CONTACT,
    purposes=(Purpose.LEGAL,),
    retention="audit",
    note=_("the postal address a person with no email address is answered at"),
)
for model, field, note in (
    ("dsr.PrivacyRequest", "outcome", _("how the request was answered or why it was refused")),
    (
        "dsr.PrivacyRequest",
        "identity_check",
        _("how staff checked who made a request received by email, phone, post or in person"),
    ),
    ("dsr.StatusChange", "note", _("notes on the status history of a request")),
    ("dsr.Reply", "body", _("messages sent to the person about their request")),
):
    personal(
        model,
        field,
        category=Category.COMMUNICATION,
        purposes=(Purpose.LEGAL,),
        retention="audit",
        note=note,
    )
non_personal(
    "dsr.PrivacyRequest",
    "status",
    "subject_ids",
    "channel",
    why="status code; ids of the contacts found or named; how the request arrived, as a code",
)
non_personal("dsr.Reply", "by_post", why="whether a reply went by post rather than email")
non_personal(
    "dsr.StatusChange",
    "from_status",
    "to_status",
    "outcome",
    "outcome_subject",
    "outcome_purposes",
    why="status codes; what a fulfilment did, as a code, the contact's id and purpose codes",
)
non_personal(
    "dsr.WorkspacePolicy", "contact_block", why="the organisation's published contact block"
)
non_personal(
    "dsr.AccessExport",
    "state",
    "token_hash",
    "key_id",
    "failure",
    why="export state, hash of the download token, id of the export's own key, failure code",
)
