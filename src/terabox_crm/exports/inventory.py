"""Personal-data inventory of guarded exports (P1, S5).

The export file itself is not in the inventory as a field: it is sealed
under its own key and destroyed after one download or when its link
expires (24 h). What the row keeps as evidence is declared here."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "exports.Export",
    "filters",
    category=Category.IDENTITY,
    purposes=(Purpose.SECURITY,),
    retention="audit",
    note=_("the list filters of an export, which may hold a searched name or address"),
)
personal(
    "exports.Export",
    "recipient",
    category=Category.IDENTITY,
    purposes=(Purpose.LEGAL,),
    retention="audit",
    note=_("the third party an export was made for (the record of provision)"),
)
non_personal(
    "exports.Export",
    "channel",
    "resource",
    "format",
    "fields",
    "status",
    "matched",
    "excluded_before",
    "rows",
    "excluded",
    "progress",
    "sha256",
    "size",
    "key_id",
    "attempts",
    "failure",
    "approval_required",
    why=(
        "what was exported (record type, format, column keys), counts by reason code, "
        "state, hash and size of the file, id of the file's own key"
    ),
)
non_personal("exports.ExportSettings", "approval_threshold", why="a number of rows")
