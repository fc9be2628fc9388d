from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActivitiesConfig(AppConfig):
    name = "terabox_crm.activities"
    label = "activities"
    verbose_name = _("Activities and tasks")

    def ready(self) -> None:
        _register_audit_targets()
        from terabox_crm.activities import events, listing
        from terabox_crm.audit import actions
        from terabox_crm.core import bus, policy, records
        from terabox_crm.core.roles import Role
        from terabox_crm.lists import anatomy
        from terabox_crm.notifications import kinds

        anatomy.register(listing.TASKS)

        policy.register(
            "activities.view",
            records.read_rule,
            _("See activities and tasks"),
            exposes_personal_data=True,
        )
        policy.register(
            "activities.add", policy.at_least(Role.MEMBER), _("Log activities and create tasks")
        )
        policy.register(
            "activities.change",
            records.write_rule,
            _("Complete, reopen, edit and delete one's own or the team's activities and tasks"),
        )
        for action, label in (
            ("activities.activity.logged", _("Activity logged")),
            ("activities.activity.deleted", _("Activity deleted")),
            ("activities.task.created", _("Task created")),
            ("activities.task.completed", _("Task completed")),
            ("activities.task.reopened", _("Task reopened")),
            ("activities.task.updated", _("Task changed")),
            ("activities.task.deleted", _("Task deleted")),
        ):
            actions.register(action, label)
        bus.declare(events.DECLARED)
        kinds.register(
            "activities.task_reminder",
            message=_("Reminder: “%(title)s” is due %(due)s."),
            params=("task_id",),
            link=_task_link,
            context=_task_context,
            about_workspace=True,
        )


def _task_link(notification) -> str:
    return f"/tasks/{notification.params['task_id']}/"


def _task_context(notification) -> dict:
    from django.utils import formats, timezone
    from django_scopes import scopes_disabled

    from terabox_crm.activities.models import Task

    with scopes_disabled():
        task = Task.objects.filter(
            pk=notification.params["task_id"], workspace_id=notification.workspace_id
        ).first()
    if task is None:
        return {"title": "—", "due": ""}
    due = formats.date_format(timezone.localtime(task.due_at), "SHORT_DATETIME_FORMAT")
    return {"title": task.title, "due": due}


def _register_audit_targets() -> None:
    """The audit trail names these records and links to them (audit/targets.py)."""
    from terabox_crm.activities.models import Task
    from terabox_crm.audit import targets
    from terabox_crm.core import records

    targets.register(
        "activities.task",
        label=pgettext_lazy("record type", "Task"),
        resolve=records.target_resolver(Task, "activities:task", lambda task: task.title),
    )
