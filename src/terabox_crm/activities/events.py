"""The domain events of activities and tasks (declared on the bus in
``apps.py``; ``core/bus.py`` says how they travel). Webhooks offer them by
these names and labels; a delivery carries the record's id only (P1)."""

from django.utils.translation import pgettext_lazy

from terabox_crm.core.bus import Event

DECLARED = (
    Event(
        "activity.created",
        pgettext_lazy("webhook event", "Activity logged"),
        "activities.activity",
    ),
    Event(
        "activity.deleted",
        pgettext_lazy("webhook event", "Activity deleted"),
        "activities.activity",
    ),
    Event("task.created", pgettext_lazy("webhook event", "Task created"), "activities.task"),
    Event("task.completed", pgettext_lazy("webhook event", "Task completed"), "activities.task"),
    Event("task.reopened", pgettext_lazy("webhook event", "Task reopened"), "activities.task"),
    Event("task.updated", pgettext_lazy("webhook event", "Task changed"), "activities.task"),
    Event("task.deleted", pgettext_lazy("webhook event", "Task deleted"), "activities.task"),
)
