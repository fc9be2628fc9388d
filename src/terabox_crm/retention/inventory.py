"""Personal-data inventory of the retention engine (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "retention.LegalHold",
    "reason",
    category=Category.ACTIVITY,
    purposes=(Purpose.LEGAL,),
    retention="crm_record",
    note=_("why a contact's data is kept beyond its retention period"),
)
non_personal("retention.RetentionRule", "target", "action", why="codes of a target and an action")
non_personal("retention.RetentionRun", "trigger", "state", "progress", why="codes, ids and counts")
non_personal(
    "retention.RetentionRun",
    "holder",
    why="the host name and process id of the server process applying the run (its lease)",
)
