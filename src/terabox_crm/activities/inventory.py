"""Personal-data inventory of activities and tasks (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

for model, field in (
    ("activities.Activity", "subject"),
    ("activities.Activity", "body"),
    ("activities.Task", "title"),
    ("activities.Task", "notes"),
):
    personal(
        model,
        field,
        category=Category.ACTIVITY,
        purposes=(Purpose.SUPPORT, Purpose.COMMUNICATION),
        retention="account",
        note=_("free text about customers, written by staff"),
    )
non_personal("activities.Activity", "kind", why="kind code")
non_personal("activities.Task", "status", why="status code")
