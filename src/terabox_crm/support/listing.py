"""The ticket list as the shared list anatomy describes it (``lists.anatomy``,
docs/ui.md "Lists"). A subject is encrypted: it does not sort; priority and
status sort by their rank, not their codes."""

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.lists.anatomy import BuiltinView, Column, ListSpec
from terabox_crm.support.models import Priority, Status


def _rank(field: str, values: list[str]):
    return Case(
        *[When(**{field: value}, then=Value(n)) for n, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


TICKETS = ListSpec(
    key="tickets",
    url_name="support:tickets",
    permission="tickets.view",
    default_sort="sla",
    filters=("status", "priority", "mine", "assignee", "contact", "company"),
    first_view=pgettext_lazy("ticket view", "Open"),
    builtin_views=(
        BuiltinView("mine", pgettext_lazy("ticket view", "Assigned to me"), {"mine": "1"}),
        BuiltinView("urgent", pgettext_lazy("ticket view", "Urgent"), {"priority": "urgent"}),
        BuiltinView("all", pgettext_lazy("ticket view", "Every ticket"), {"status": "all"}),
    ),
    columns=(
        Column("number", "#", sort="number", nowrap=True, num=True),
        Column("subject", _("Subject"), required=True),
        Column(
            "priority",
            _("Priority"),
            sort="priority_rank",
            nowrap=True,
            expression=_rank("priority", list(reversed(Priority.values))),
        ),
        Column(
            "status",
            _("Status"),
            sort="status_rank",
            nowrap=True,
            expression=_rank("status", Status.values),
        ),
        Column("sla", _("SLA"), sort="resolution_due_at", nowrap=True),
        Column("assignee", _("Assignee"), nowrap=True),
        Column("requester", _("Requester"), default=False),
        Column("created_at", _("Created"), sort="created_at", nowrap=True, default=False),
    ),
)
