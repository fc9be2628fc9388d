"""Personal-data inventory of imports (P1).

The uploaded file itself is not in the inventory as a field: it is sealed
under its own key and destroyed when the import is applied or a day after
an unused upload. What the import's row keeps is declared here."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "imports.Import",
    "file_name",
    category=Category.IDENTITY,
    purposes=(Purpose.SECURITY,),
    retention="audit",
    note=_("the name of an imported file, which may name a person"),
)
personal(
    "imports.Import",
    "headers",
    category=Category.IDENTITY,
    purposes=(Purpose.SECURITY,),
    retention="audit",
    note=_("the first row of an imported file (a file without a header row starts with a person)"),
)
personal(
    "imports.Import",
    "receipt",
    category=Category.IDENTITY,
    purposes=(Purpose.LEGAL,),
    retention="audit",
    note=_("a third-party import's provider and consent reference (who consented, when, evidence)"),
)
non_personal(
    "imports.Import",
    "channel",
    "resource",
    "file_format",
    "encoding",
    "mapping",
    "source",
    "on_duplicate",
    "dry_run",
    "status",
    "size",
    "sha256",
    "key_id",
    "total",
    "progress",
    "created",
    "updated",
    "skipped",
    "errors",
    "flagged",
    "failure",
    why=(
        "what was imported (record type, format, encoding, field keys per column), the "
        "options, state, counts, hash and size of the file, id of the file's own key"
    ),
)
non_personal(
    "imports.ImportRow",
    "number",
    "outcome",
    "code",
    "field",
    "object_id",
    "suppressed",
    why="a row number, an outcome and reason code, a field key and a record id",
)
