"""The task list as the shared list anatomy describes it (``lists.anatomy``,
docs/ui.md "Lists"), with its work-queue views: mine (the default),
overdue, today, this week, my team's and everyone's. Titles are encrypted:
they do not sort."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.lists.anatomy import BuiltinView, Column, ListSpec

TASKS = ListSpec(
    key="tasks",
    url_name="activities:tasks",
    permission="activities.view",
    default_sort="due_at",
    filters=("scope", "due", "status", "assignee", "contact", "company", "deal"),
    first_view=pgettext_lazy("task view", "Mine"),
    builtin_views=(
        BuiltinView("overdue", pgettext_lazy("task view", "Overdue"), {"due": "overdue"}),
        BuiltinView("today", pgettext_lazy("task view", "Today"), {"due": "today"}),
        BuiltinView("week", pgettext_lazy("task view", "This week"), {"due": "week"}),
        BuiltinView("team", pgettext_lazy("task view", "My team's"), {"scope": "team"}),
        BuiltinView("all", pgettext_lazy("task view", "Everyone's"), {"scope": "all"}),
    ),
    columns=(
        Column("title", _("Task"), required=True),
        Column("due_at", _("Due"), sort="due_at", nowrap=True),
        Column("status", _("Status"), sort="status", nowrap=True),
        Column("assignee", _("Assignee"), nowrap=True),
        Column("related", _("Related to")),
        Column("created_at", _("Created"), sort="created_at", nowrap=True, default=False),
        Column(
            "completed_at",
            _("Completed"),
            sort="completed_at",
            nullable=True,
            nowrap=True,
            default=False,
        ),
    ),
)
