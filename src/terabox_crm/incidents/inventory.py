"""Personal-data inventory of the incident register (P1, S13)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for model, field in (
    ("incidents.Incident", "title"),
    ("incidents.Incident", "description"),
    ("incidents.Incident", "systems_affected"),
    ("incidents.Incident", "actions_taken"),
    ("incidents.Incident", "cause"),
    ("incidents.Incident", "secondary_risk"),
    ("incidents.Incident", "measures"),
    ("incidents.TimelineEntry", "text"),
):
    personal(
        model,
        field,
        category=Category.ACTIVITY,
        purposes=(Purpose.SECURITY, Purpose.LEGAL),
        retention="audit",
        note=_("what happened in a security incident, which may name the people involved"),
    )
non_personal(
    "incidents.Incident",
    "severity",
    "status",
    "data_categories",
    "notice_title_ja",
    "notice_title_en",
    "notice_body_ja",
    "notice_body_en",
    why="codes, and the public notice written without personal data",
)
non_personal(
    "incidents.Incident",
    "source",
    "reminders",
    why="codes: what kind of thing was compromised, which deadline reminders went out",
)
non_personal(
    "incidents.AffectedItem",
    "kind",
    "object_type",
    "object_id",
    "decision",
    why="the reviewable list of who is affected: ids and codes only (the records hold the data)",
)
non_personal(
    "incidents.Delivery",
    "channel",
    "language",
    "state",
    "reason",
    why="delivery codes; the message itself is in the outbox, encrypted and blanked once sent",
)
non_personal(
    "incidents.TimelineEntry",
    "kind",
    why="a code: which entry the system wrote (its values are in the encrypted text)",
)
