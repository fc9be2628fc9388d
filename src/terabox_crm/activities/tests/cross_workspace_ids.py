"""Foreign ids for the activities app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services
from terabox_crm.core.selectors import membership_in
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("task_id")
def foreign_task(foreign) -> ForeignId:
    with scope(workspace=foreign.workspace):
        task = services.task_create(
            membership=membership_in(foreign.workspace, foreign.owner),
            data=services.TaskData(
                title="Globex confidential task", due_at=timezone.now(), assignee=foreign.owner
            ),
        )
    return ForeignId(task.pk, identifying=("Globex confidential task",))


@param("activity_id")
def foreign_activity(foreign) -> ForeignId:
    pipeline = make_pipeline(foreign.workspace, foreign.owner, name="Foreign activities")
    deal = make_deal(foreign.workspace, foreign.owner, pipeline, name="Foreign deal")
    with scope(workspace=foreign.workspace):
        activity = services.activity_log(
            membership=membership_in(foreign.workspace, foreign.owner),
            data=services.ActivityData(
                kind="note",
                occurred_at=timezone.now(),
                subject="Globex confidential note",
                links=services.Links(deal=deal),
            ),
        )
    return ForeignId(activity.pk, identifying=("Globex confidential note",))
