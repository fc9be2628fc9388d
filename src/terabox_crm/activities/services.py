"""Writes of activities and tasks, and the reminder job.

Each service validates, writes, audits in the same transaction (personal
text only in ``personal=``, encrypted under the linked person's key when
there is one). Reminders: ``task_reminders_send`` runs every minute from the
job queue; it claims due tasks in batches by setting ``reminded_at`` in the
same transaction that queues the email and the in-app notification, so a
reminder is sent once even with several workers. A reminder already due
when its task is saved starts that job at once (``_remind_now_if_due``).

Links (contact, company, deal) are given as records or ids and resolved
here, each one a record the actor may read (``core.records.readable_many``);
an assignee is a member of the workspace (``core.members``). Both refusals
give the answer a missing record gets and are recorded as security events
after the rollback (``refusals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.activities import tasks
from terabox_crm.activities.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Activity, Task
from terabox_crm.communications.outbox import queue_email
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import guards, members, records
from terabox_crm.core.bus import publish
from terabox_crm.core.models import Membership
from terabox_crm.deals.models import Deal
from terabox_crm.lists import bulk
from terabox_crm.notifications.services import notification_send
from terabox_crm.privacy import gate
from terabox_crm.refusals import Refusal, recorded_after_rollback

REMINDER_BATCH = 500


@dataclass
class Links:
    """What an activity or task is about: each a record or its id."""

    contact: object | None = None
    company: object | None = None
    deal: object | None = None

    def subject_id(self):
        return getattr(self.contact, "pk", None)


@dataclass
class ActivityData:
    kind: str
    occurred_at: datetime
    subject: str = ""
    body: str = ""
    duration_minutes: int | None = None
    links: Links = field(default_factory=Links)


@dataclass
class TaskData:
    title: str
    due_at: datetime
    assignee: object  # a user or their id
    notes: str = ""
    remind_at: datetime | None = None
    links: Links = field(default_factory=Links)


def _check_links(membership, links: Links, *, required: bool) -> Links:
    """The linked records, each one ``membership`` may read."""
    if required and all(value in (None, "") for value in vars(links).values()):
        raise Refusal(_("Link the activity to a contact, a company or a deal."), code="unlinked")
    found = records.readable_many(
        membership,
        {
            "contact": (Contact, links.contact),
            "company": (Company, links.company),
            "deal": (Deal, links.deal),
        },
    )
    return Links(**found)


def _check_text(value: str, *, limit: int, field_name: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Refusal(
            _("This text is too long (at most %(max)d characters).") % {"max": limit},
            code="too_long",
            field=field_name,
        )
    return value


@recorded_after_rollback
@transaction.atomic
def activity_log(*, membership: Membership, data: ActivityData) -> Activity:
    """Log a note, call, meeting or email on a contact, company or deal."""
    actor, workspace = membership.user, membership.workspace
    guards.require(
        membership,
        "activities.add",
        message=_("Viewers cannot log activities."),
    )
    if data.kind not in Activity.Kind.values:
        raise Refusal(_("Choose a kind of activity."), code="invalid_kind", field="kind")
    links = _check_links(membership, data.links, required=True)
    subject = _check_text(data.subject, limit=TITLE_MAX_LENGTH, field_name="subject")
    body = _check_text(data.body, limit=BODY_MAX_LENGTH, field_name="body")
    if not subject and not body:
        raise Refusal(_("Write a subject or some details."), code="empty", field="subject")
    activity = Activity(
        workspace=workspace,
        kind=data.kind,
        subject=subject,
        body=body,
        occurred_at=data.occurred_at,
        duration_minutes=data.duration_minutes,
        contact=links.contact,
        company=links.company,
        deal=links.deal,
        owner=actor,
        team=membership.team,
    )
    activity.save(force_insert=True)
    audit.record(
        "activities.activity.logged",
        actor=actor,
        workspace=workspace,
        obj=activity,
        payload={"kind": activity.kind},
        subject_id=links.subject_id(),
    )
    publish("activity.created", workspace_id=workspace.pk, object_id=activity.pk)
    return activity


@recorded_after_rollback
@transaction.atomic
def activity_delete(*, membership: Membership, activity: Activity) -> None:
    guards.require_record(
        membership, "activities.change", activity, message=_("You cannot delete this activity.")
    )
    actor = membership.user
    activity_id, workspace = activity.pk, activity.workspace
    activity.delete()
    audit.record(
        "activities.activity.deleted",
        actor=actor,
        workspace=workspace,
        object_type="activities.activity",
        object_id=str(activity_id),
    )
    publish("activity.deleted", workspace_id=workspace.pk, object_id=activity_id)


@recorded_after_rollback
@transaction.atomic
def task_create(*, membership: Membership, data: TaskData) -> Task:
    actor, workspace = membership.user, membership.workspace
    guards.require(membership, "activities.add", message=_("Viewers cannot create tasks."))
    links = _check_links(membership, data.links, required=False)
    title = _check_text(data.title, limit=TITLE_MAX_LENGTH, field_name="title")
    if not title:
        raise Refusal(_("Give the task a title."), code="title_required", field="title")
    notes = _check_text(data.notes, limit=BODY_MAX_LENGTH, field_name="notes")
    assignee = members.member_user(
        workspace=workspace,
        value=data.assignee,
        actor=actor,
        field="assignee",
    )
    if data.remind_at is not None and data.remind_at > data.due_at:
        raise Refusal(
            _("The reminder must come before the due time."),
            code="late_reminder",
            field="remind_at",
        )
    task = Task(
        workspace=workspace,
        title=title,
        notes=notes,
        due_at=data.due_at,
        remind_at=data.remind_at,
        assignee=assignee,
        contact=links.contact,
        company=links.company,
        deal=links.deal,
        owner=actor,
        team=membership.team,
    )
    task.save(force_insert=True)
    _remind_now_if_due(task)
    audit.record(
        "activities.task.created",
        actor=actor,
        workspace=workspace,
        obj=task,
        payload={"assignee": str(assignee.pk)},
        subject_id=links.subject_id(),
    )
    publish("task.created", workspace_id=workspace.pk, object_id=task.pk)
    return task


@recorded_after_rollback
@transaction.atomic
def task_set_done(*, membership: Membership, task: Task, done: bool = True) -> Task:
    # Its assignee (whatever their role) or whoever may edit it as a record:
    # the policy\'s rule (``core.records``).
    guards.require_record(
        membership, "activities.change", task, message=_("You cannot change this task.")
    )
    actor = membership.user
    task.status = Task.Status.DONE if done else Task.Status.OPEN
    task.completed_at = timezone.now() if done else None
    task.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record(
        "activities.task.completed" if done else "activities.task.reopened",
        actor=actor,
        workspace=task.workspace,
        obj=task,
    )
    publish(
        "task.completed" if done else "task.reopened",
        workspace_id=task.workspace_id,
        object_id=task.pk,
    )
    return task


@dataclass
class TaskChange:
    """A task's edit: every field as it should be afterwards."""

    title: str
    due_at: datetime
    assignee: object  # a user or their id
    notes: str = ""
    remind_at: datetime | None = None
    links: Links = field(default_factory=Links)


_TASK_FIELDS = ("title", "notes", "due_at", "remind_at", "assignee_id")
_LINK_FIELDS = ("contact_id", "company_id", "deal_id")


@recorded_after_rollback
@transaction.atomic
def task_update(*, membership: Membership, task: Task, data: TaskChange) -> Task:
    """Edit a task from its page: the same checks as ``task_create``, the same
    rule as completing it (its assignee, or whoever may edit it, S6); the
    changed field names go to the audit trail, never the text."""
    guards.require_record(
        membership, "activities.change", task, message=_("You cannot change this task.")
    )
    actor, workspace = membership.user, membership.workspace
    # A link kept as it was is not checked again (one a colleague made to a
    # record this member cannot read stays); a new one must be readable.
    links = Links(
        **records.readable_many(
            membership,
            {
                "contact": (Contact, data.links.contact),
                "company": (Company, data.links.company),
                "deal": (Deal, data.links.deal),
            },
            unchanged={
                "contact": task.contact_id,
                "company": task.company_id,
                "deal": task.deal_id,
            },
        )
    )
    title = _check_text(data.title, limit=TITLE_MAX_LENGTH, field_name="title")
    if not title:
        raise Refusal(_("Give the task a title."), code="title_required", field="title")
    notes = _check_text(data.notes, limit=BODY_MAX_LENGTH, field_name="notes")
    assignee = members.member_user(
        workspace=workspace,
        value=data.assignee,
        actor=actor,
        field="assignee",
        current=task.assignee,
    )
    if data.remind_at is not None and data.remind_at > data.due_at:
        raise Refusal(
            _("The reminder must come before the due time."),
            code="late_reminder",
            field="remind_at",
        )
    before = {name: getattr(task, name) for name in (*_TASK_FIELDS, *_LINK_FIELDS)}
    task.title, task.notes, task.due_at = title, notes, data.due_at
    task.assignee = assignee
    for name in ("contact", "company", "deal"):
        value = getattr(links, name)
        # An unchanged link comes back as its id: keep the record as it is.
        setattr(task, f"{name}_id", records.pk_of(value))
    if data.remind_at != task.remind_at:
        # A new reminder time is a new reminder: it is sent again.
        task.remind_at, task.reminded_at = data.remind_at, None
    changed = [name for name, value in before.items() if getattr(task, name) != value]
    if not changed:
        return task
    task.save(
        update_fields=[
            *(name.removesuffix("_id") for name in changed),
            "reminded_at",
            "updated_at",
        ]
    )
    _remind_now_if_due(task)
    audit.record(
        "activities.task.updated",
        actor=actor,
        workspace=workspace,
        obj=task,
        payload={"fields": sorted(name.removesuffix("_id") for name in changed)},
        subject_id=task.contact_id,
    )
    publish("task.updated", workspace_id=workspace.pk, object_id=task.pk)
    return task


@recorded_after_rollback
@transaction.atomic
def task_delete(*, membership: Membership, task: Task) -> None:
    """Delete a task (its assignee, or whoever may edit it); audited by id."""
    guards.require_record(
        membership, "activities.change", task, message=_("You cannot delete this task.")
    )
    actor = membership.user
    task_id, workspace, contact_id = task.pk, task.workspace, task.contact_id
    task.delete()
    audit.record(
        "activities.task.deleted",
        actor=actor,
        workspace=workspace,
        object_type="activities.task",
        object_id=str(task_id),
        subject_id=contact_id,
    )
    publish("task.deleted", workspace_id=workspace.pk, object_id=task_id)


# A reminder names its task, whose title often names the contact it is about:
# it serves that contact's support (P2), so the purpose gate decides (P3).
REMINDER_PURPOSE = "support"
REMINDER_CHANNEL = "activities.task_reminder"


def _reminders_refused(batch) -> set:
    """The tasks of ``batch`` whose contact the reminder purpose may not use
    (restricted, erased …): one gate call per workspace, refusals logged."""
    by_workspace: dict = {}
    for task in batch:
        if task.contact_id:
            by_workspace.setdefault(task.workspace_id, set()).add(task.contact_id)
    refused_contacts: set = set()
    for workspace_id, contact_ids in by_workspace.items():
        decision = gate.check(
            workspace=workspace_id,
            purpose=REMINDER_PURPOSE,
            subject_ids=contact_ids,
            channel=REMINDER_CHANNEL,
        )
        refused_contacts |= set(decision.refused)
    return {task.pk for task in batch if task.contact_id in refused_contacts}


def _remind_now_if_due(task: Task) -> None:
    """A reminder whose time has already come when it is set (the current
    minute, say) goes out as soon as the task is saved, not at the next
    minute's sweep. The job is the sweep itself: it claims what is due, so
    the reminder is still sent once."""
    due = task.remind_at is not None and task.reminded_at is None
    if due and task.remind_at <= timezone.now():
        transaction.on_commit(tasks.send_due_task_reminders)


def task_reminders_send(*, now: datetime | None = None) -> int:
    """Remind assignees of open tasks whose reminder time has come (job)."""

    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic(), scopes_disabled():
            batch = list(
                Task.objects.select_for_update(skip_locked=True)
                .filter(status=Task.Status.OPEN, reminded_at__isnull=True, remind_at__lte=now)
                .select_related("assignee", "workspace")
                .order_by("remind_at")[:REMINDER_BATCH]
            )
            if not batch:
                return sent
            refused = _reminders_refused(batch)
            for task in batch:
                still_member = Membership.objects.filter(
                    workspace=task.workspace, user=task.assignee
                ).exists()
                task.reminded_at = now
                task.save(update_fields=["reminded_at"])
                if not still_member or not task.assignee.is_active or task.pk in refused:
                    continue
                notification_send(
                    user=task.assignee,
                    kind="activities.task_reminder",
                    workspace=task.workspace,
                    params={"task_id": str(task.pk)},
                )
                language = task.assignee.language or "ja"
                with translation.override(language):
                    queue_email(
                        kind="activities/email/task_reminder",
                        to=task.assignee.email,
                        context={
                            "title": task.title,
                            "due_at": task.due_at,
                            "workspace_name": task.workspace.name,
                            "path": f"/tasks/{task.pk}/",
                        },
                        language=language,
                        subject_id=task.assignee.pk,
                        workspace_id=task.workspace_id,
                    )
                sent += 1


# --- Bulk actions on the task list (docs/ui.md "Bulk actions") --------------------------


def _bulk_delete(membership: Membership, rows: list, value, name: str) -> int:
    for task in rows:
        task_delete(membership=membership, task=task)
    return len(rows)


def _bulk_done(done: bool):
    def handler(membership: Membership, rows: list, value, name: str) -> int:
        changed = [t for t in rows if (t.status == Task.Status.DONE) != done]
        for task in changed:
            task_set_done(membership=membership, task=task, done=done)
        return len(changed)

    return handler


TASK_BULK = bulk.Bulk(
    app="activities",
    queryset=lambda membership, action: Task.objects.visible_to(membership).select_related(
        "workspace"
    ),
    permissions={"delete": "activities.change"},
    handlers={
        "assignee": bulk.reassigning(
            field="assignee",
            event="task.updated",
            message=gettext_lazy("Choose a member of this workspace as the assignee."),
            subject=lambda task: task.contact_id,
        ),
        "done": _bulk_done(True),
        "reopen": _bulk_done(False),
        "delete": _bulk_delete,
    },
)


def task_bulk(*, membership: Membership, ids, action: str, value="") -> int:
    """One action on at most ``anatomy.BULK_LIMIT`` tasks, all or nothing
    (``lists.bulk.run``): every id must be a task the member reads and may
    change (its assignee, or whoever edits it as a record; locks of
    restricted contacts apply, P7), else nothing changes and the refusal
    says how many may not. One audit event per task, the one a single
    change records."""
    return bulk.run(TASK_BULK, membership=membership, ids=ids, action=action, value=value)
