"""Activities and tasks in a person's access export (P9)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import Activity, Task
from terabox_crm.dsr.registry import records_section, register_collector
from terabox_crm.notifications.models import Notification


def timeline(workspace_id, subject_ids):
    yield records_section(
        "activities",
        _("Activities"),
        Activity.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids).order_by(
            "occurred_at", "id"
        ),
        ["kind", "occurred_at", "subject", "body", "duration_minutes"],
    )
    yield records_section(
        "tasks",
        _("Tasks"),
        Task.objects.filter(workspace_id=workspace_id, contact_id__in=subject_ids).order_by(
            "due_at", "id"
        ),
        ["title", "notes", "due_at", "status", "completed_at"],
    )


def task_notifications(workspace_id, subject_ids):
    """Reminders staff received about the person's tasks (notifications name
    the task by id; the notification app knows nothing of tasks)."""
    task_ids = [
        str(pk)
        for pk in Task.objects.filter(
            workspace_id=workspace_id, contact_id__in=subject_ids
        ).values_list("pk", flat=True)[:10_000]
    ]
    yield records_section(
        "notifications",
        _("Notifications to staff about you"),
        Notification.objects.filter(
            workspace_id=workspace_id, params__task_id__in=task_ids
        ).order_by("created_at", "id"),
        ["kind", "created_at", "read_at"],
    )


register_collector("activities", timeline, order=40)
register_collector("notifications", task_notifications, order=60)
