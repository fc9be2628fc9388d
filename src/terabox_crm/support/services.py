"""Writes of support tickets: open, reply, change status, priority, assignee.

Every service validates, writes and audits in the same transaction; ticket
text goes to the audit trail only as field names. Numbers are allocated per
workspace inside the transaction (the unique constraint backs it up).

The requester (a contact and/or a company) is given as records or ids and
must be readable by the actor (``core.records.readable_many``); an assignee
must be a member of the workspace (``core.members``). Both refusals give the
answer a missing record gets and are recorded as security events after the
rollback (``refusals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from terabox_crm import audit
from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import guards, members, records
from terabox_crm.core.bus import publish
from terabox_crm.core.models import Membership
from terabox_crm.lists import bulk
from terabox_crm.refusals import Refusal, recorded_after_rollback
from terabox_crm.support.models import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Priority,
    Status,
    Ticket,
    TicketMessage,
)


@dataclass
class TicketData:
    subject: str
    description: str = ""
    priority: str = Priority.NORMAL
    contact: object | None = None  # the requester: a Contact or its id
    company: object | None = None  # a Company or its id
    assignee: object | None = None  # a user or their id
    tag_ids: list = field(default_factory=list)  # ids of the workspace's tags


def _require(membership, action: str, ticket=None) -> None:
    guards.require(
        membership,
        action,
        ticket,
        message=_("Viewers cannot change tickets."),
    )


def _text(value: str, limit: int, field: str, *, required: bool, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise Refusal(message, code=f"{field}_required", field=field)
    if len(value) > limit:
        raise Refusal(
            _("This text is too long (at most %(max)d characters).") % {"max": limit},
            code="too_long",
            field=field,
        )
    return value


def _assignee(workspace, assignee, *, actor, current=None):
    """The assigned user (None: nobody), a member of ``workspace``."""
    if assignee in (None, ""):
        return None
    return members.member_user(
        workspace=workspace,
        value=assignee,
        actor=actor,
        field="assignee",
        current=current,
    )


@recorded_after_rollback
def ticket_open(*, membership: Membership, data: TicketData) -> Ticket:
    """Open a ticket; its SLA deadlines start now. Retries once on a number race."""
    for attempt in range(2):
        try:
            return _ticket_open(membership=membership, data=data)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _ticket_open(*, membership: Membership, data: TicketData) -> Ticket:
    actor, workspace = membership.user, membership.workspace
    _require(membership, "tickets.add")
    subject = _text(
        data.subject,
        SUBJECT_MAX_LENGTH,
        "subject",
        required=True,
        message=_("Give the ticket a subject."),
    )
    description = _text(data.description, BODY_MAX_LENGTH, "description", required=False)
    if data.priority not in Priority.values:
        raise Refusal(_("Choose a priority."), code="invalid_priority", field="priority")
    requester = records.readable_many(
        membership,
        {"contact": (Contact, data.contact), "company": (Company, data.company)},
    )
    assignee = _assignee(workspace, data.assignee, actor=actor)
    tags = contact_services.tags_for(membership=membership, tag_ids=data.tag_ids)
    now = timezone.now()
    response_due, resolution_due = Ticket.deadlines(data.priority, now)
    top = Ticket.objects.filter(workspace=workspace).aggregate(top=Max("number"))["top"] or 0
    ticket = Ticket(
        workspace=workspace,
        number=top + 1,
        subject=subject,
        description=description,
        priority=data.priority,
        contact=requester["contact"],
        company=requester["company"],
        assignee=assignee,
        owner=actor,
        team=membership.team,
        created_at=now,
        first_response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    ticket.save(force_insert=True)
    if tags:
        ticket.tags.set(tags)
    audit.record(
        "support.ticket.opened",
        actor=actor,
        workspace=workspace,
        obj=ticket,
        payload={"number": ticket.number, "priority": ticket.priority},
        subject_id=getattr(requester["contact"], "pk", None),
    )
    publish("ticket.created", workspace_id=workspace.pk, object_id=ticket.pk)
    return ticket


def _editable(membership: Membership, ticket: Ticket):
    """The acting user, once ``membership`` may work on ``ticket``: its
    assignee, or someone who may edit it as a record (owner, team, admins),
    from member up — the policy's rule (``core.records``)."""
    guards.in_workspace(membership, ticket, action="tickets.change")
    _require(membership, "tickets.change")
    guards.require(
        membership, "tickets.change", ticket, message=_("You cannot change this ticket.")
    )
    return membership.user


@recorded_after_rollback
@transaction.atomic
def ticket_reply(
    *, membership: Membership, ticket: Ticket, body: str, internal: bool = False
) -> TicketMessage:
    """Add a reply (stops the first-response clock) or an internal note."""
    actor = _editable(membership, ticket)
    text = _text(body, BODY_MAX_LENGTH, "body", required=True, message=_("Write a message."))
    message = TicketMessage.objects.create(
        workspace=ticket.workspace, ticket=ticket, author=actor, body=text, internal=internal
    )
    changed = ["updated_at"]
    if not internal and ticket.first_responded_at is None:
        ticket.first_responded_at = message.created_at
        changed.append("first_responded_at")
    if not internal and ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        changed.append("status")
    ticket.save(update_fields=changed)
    audit.record(
        "support.ticket.note_added" if internal else "support.ticket.replied",
        actor=actor,
        workspace=ticket.workspace,
        obj=ticket,
        payload={"message": str(message.pk)},
    )
    if not internal:
        publish("ticket.replied", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    if "status" in changed:
        publish("ticket.status_changed", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    return message


@recorded_after_rollback
@transaction.atomic
def ticket_set_status(*, membership: Membership, ticket: Ticket, status: str) -> Ticket:
    actor = _editable(membership, ticket)
    if status not in Status.values:
        raise Refusal(_("Choose a status."), code="invalid_status", field="status")
    if status == ticket.status:
        return ticket
    now = timezone.now()
    previous = ticket.status
    if previous == Status.PENDING and ticket.paused_at is not None:
        # Waiting on the customer does not count against the resolution SLA.
        ticket.resolution_due_at += now - ticket.paused_at
        ticket.paused_at = None
    if status == Status.PENDING:
        ticket.paused_at = now
    if status in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
    ticket.status = status
    ticket.save(
        update_fields=["status", "paused_at", "resolution_due_at", "resolved_at", "updated_at"]
    )
    audit.record(
        "support.ticket.status_changed",
        actor=actor,
        workspace=ticket.workspace,
        obj=ticket,
        payload={"from": previous, "to": status},
    )
    publish("ticket.status_changed", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    return ticket


@recorded_after_rollback
@transaction.atomic
def ticket_update(*, membership: Membership, ticket: Ticket, priority: str, assignee) -> Ticket:
    """Change priority (deadlines are recomputed from the opening time) and
    assignee (a user or their id; None: nobody)."""
    actor = _editable(membership, ticket)
    if priority not in Priority.values:
        raise Refusal(_("Choose a priority."), code="invalid_priority", field="priority")
    assignee = _assignee(ticket.workspace_id, assignee, actor=actor, current=ticket.assignee)
    changed = []
    if priority != ticket.priority:
        ticket.priority = priority
        ticket.first_response_due_at, ticket.resolution_due_at = Ticket.deadlines(
            priority, ticket.created_at
        )
        changed += ["priority", "first_response_due_at", "resolution_due_at"]
    if getattr(assignee, "pk", None) != ticket.assignee_id:
        ticket.assignee = assignee
        changed.append("assignee")
    if not changed:
        return ticket
    ticket.save(update_fields=[*changed, "updated_at"])
    audit.record(
        "support.ticket.updated",
        actor=actor,
        workspace=ticket.workspace,
        obj=ticket,
        payload={"fields": sorted(changed), "priority": ticket.priority},
    )
    publish("ticket.updated", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    if "assignee" in changed:
        publish("ticket.assigned", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    return ticket


@recorded_after_rollback
@transaction.atomic
def ticket_set_requester(
    *, membership: Membership, ticket: Ticket, contact=None, company=None
) -> Ticket:
    """Set who asked: a contact and/or a company (records or ids; None: no
    one). The same rule as any change of the ticket (its assignee, or whoever
    may edit it, from member up), and each linked record must be one the
    member may read (``core.records.readable_many``: another workspace's is
    refused like one that does not exist). Audited with the changed field
    names; the contact is the event's subject."""
    actor = _editable(membership, ticket)
    requester = records.readable_many(
        membership,
        {"contact": (Contact, contact), "company": (Company, company)},
        unchanged={"contact": ticket.contact_id, "company": ticket.company_id},
    )
    changed = [
        name
        for name in ("contact", "company")
        if str(records.pk_of(requester[name]) or "") != str(getattr(ticket, f"{name}_id") or "")
    ]
    if not changed:
        return ticket
    for name in ("contact", "company"):
        setattr(ticket, f"{name}_id", records.pk_of(requester[name]))
    ticket.save(update_fields=[*changed, "updated_at"])
    audit.record(
        "support.ticket.requester_changed",
        actor=actor,
        workspace=ticket.workspace,
        obj=ticket,
        payload={"fields": changed},
        subject_id=ticket.contact_id,
    )
    publish("ticket.updated", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    return ticket


@recorded_after_rollback
@transaction.atomic
def ticket_set_tags(*, membership: Membership, ticket: Ticket, tag_ids) -> Ticket:
    """The ticket's tags: ids of the workspace's tags (another workspace's
    id refuses the change, docs/ui.md "Tags are chips")."""
    actor = _editable(membership, ticket)
    tags = contact_services.tags_for(membership=membership, tag_ids=tag_ids)
    if {tag.pk for tag in tags} == set(ticket.tags.values_list("pk", flat=True)):
        return ticket
    ticket.tags.set(tags)
    ticket.save(update_fields=["updated_at"])
    audit.record(
        "support.ticket.updated",
        actor=actor,
        workspace=ticket.workspace,
        obj=ticket,
        payload={"fields": ["tags"], "priority": ticket.priority},
    )
    publish("ticket.updated", workspace_id=ticket.workspace_id, object_id=ticket.pk)
    return ticket


_UNCHANGED = object()


@recorded_after_rollback
@transaction.atomic
def ticket_change(
    *,
    membership: Membership,
    ticket: Ticket,
    priority=_UNCHANGED,
    assignee=_UNCHANGED,
    status=_UNCHANGED,
    tag_ids=_UNCHANGED,
) -> Ticket:
    """Priority, assignee, status and tags in one transaction: a refused
    status leaves the others as they were (writes are atomic). A value not
    given stays as it is."""
    if tag_ids is not _UNCHANGED:
        ticket_set_tags(membership=membership, ticket=ticket, tag_ids=tag_ids)
    if priority is not _UNCHANGED or assignee is not _UNCHANGED:
        ticket_update(
            membership=membership,
            ticket=ticket,
            priority=ticket.priority if priority is _UNCHANGED else priority,
            assignee=ticket.assignee if assignee is _UNCHANGED else assignee,
        )
    if status is not _UNCHANGED:
        ticket_set_status(membership=membership, ticket=ticket, status=status)
    return ticket


# --- Bulk actions on the ticket list (docs/ui.md "Bulk actions") ------------------------


def _bulk_status(membership: Membership, rows: list, value, name: str) -> int:
    if value not in Status.values:
        raise bulk.refused_value(membership, name, _("Choose a status."))
    changed = [ticket for ticket in rows if ticket.status != value]
    for ticket in changed:
        ticket_set_status(membership=membership, ticket=ticket, status=value)
    return len(changed)


def _bulk_assignee(membership: Membership, rows: list, value, name: str) -> int:
    assignee = value or None  # none: unassigned
    changed = [t for t in rows if str(t.assignee_id or "") != str(assignee or "")]
    for ticket in changed:
        ticket_update(
            membership=membership, ticket=ticket, priority=ticket.priority, assignee=assignee
        )
    return len(changed)


def _no_subject(ticket):
    return None


def _tags_payload(ticket) -> dict:
    return {"fields": ["tags"], "priority": ticket.priority, "bulk": True}


TICKET_BULK = bulk.Bulk(
    app="tickets",
    queryset=lambda membership, action: Ticket.objects.visible_to(membership).select_related(
        "workspace", "assignee"
    ),
    handlers={
        "assignee": _bulk_assignee,
        "status": _bulk_status,
        # As ticket_set_tags records it: no person's key, the priority shown.
        "tag_add": contact_services.bulk_tags(add=True, subject=_no_subject, payload=_tags_payload),
        "tag_remove": contact_services.bulk_tags(
            add=False, subject=_no_subject, payload=_tags_payload
        ),
    },
)


def ticket_bulk(*, membership: Membership, ids, action: str, value="") -> int:
    """One action on at most ``anatomy.BULK_LIMIT`` tickets, all or nothing
    (``lists.bulk.run``): every id must be a ticket the member reads and may
    change (locks of restricted contacts apply, P7), else nothing changes
    and the refusal says how many may not. Each ticket goes through
    ``ticket_update`` or ``ticket_set_status`` (an assignee is told, an SLA
    clock moves): one audit event per ticket, as one at a time. Tickets are
    never deleted from the list (retention deletes them)."""
    return bulk.run(TICKET_BULK, membership=membership, ids=ids, action=action, value=value)
