"""The incident register as the shared list anatomy describes it
(``lists.anatomy``, docs/ui.md "Lists" and "Incident register"): a work
list of the open incidents first, with their next report deadline (S13). A
title is encrypted: it does not sort; severity and status sort by their
rank, not their codes."""

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.incidents.models import Severity, Status
from terabox_crm.lists.anatomy import BuiltinView, Column, ListSpec

ALL_STATUSES = "all"


def _rank(field: str, values: list[str]):
    return Case(
        *[When(**{field: value}, then=Value(n)) for n, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


INCIDENTS = ListSpec(
    key="incidents",
    url_name="incidents:list",
    permission="incidents.view",
    default_sort="-detected",
    filters=("status", "severity", "mine"),
    first_view=pgettext_lazy("incident view", "Open"),
    builtin_views=(
        BuiltinView("mine", pgettext_lazy("incident view", "Handled by me"), {"mine": "1"}),
        BuiltinView("closed", pgettext_lazy("incident view", "Closed"), {"status": "closed"}),
        BuiltinView("all", pgettext_lazy("incident view", "Every incident"), {"status": "all"}),
    ),
    columns=(
        Column("number", "#", sort="number", nowrap=True, num=True),
        Column("title", _("Title"), required=True),
        Column(
            "severity",
            pgettext_lazy("incident", "Severity"),
            sort="severity_rank",
            nowrap=True,
            # critical first when ascending
            expression=_rank("severity", list(reversed(Severity.values))),
        ),
        Column(
            "status",
            _("Status"),
            sort="status_rank",
            nowrap=True,
            expression=_rank("status", Status.values),
        ),
        Column("due", _("Next report due"), nowrap=True),
        Column("owner", _("Handled by"), nowrap=True),
        Column("detected", _("Detected at"), sort="detected_at", nowrap=True),
    ),
)
