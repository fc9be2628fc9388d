"""Who reads and who edits a CRM record that has an owner and a team
(S6; SPEC record visibility), as query filters and as an object check, so
list views, detail views, the API and jobs all apply the same rule.

Every such record (company, contact, deal, activity, task, ticket) derives
from ``core.models.OwnedRecord``, whose manager has ``RecordQuerySet``: the
one spelling of read visibility is ``Model.objects.visible_to(membership)``,
and its object twin is ``policy.can(membership, "<app>.view", record)``
(``read_rule``/``write_rule`` below are the rules the apps register).

- Owners and admins read and edit every record of the workspace.
- Viewers never edit.
- Members and managers edit records they own or that belong to their team.
- Reading: with ``Workspace.record_visibility == "workspace"`` (the default)
  every member reads every record; with ``"team"`` members, managers and
  viewers read only records they own or that belong to their team.
- A record with an assignee (``OwnedRecord.assignee_reads``: tasks, tickets)
  is also read and edited by its assignee, whatever their team; a policy
  rule may still ask for a role on top (tickets are changed from member up).

Links between records follow the same rule (S6): a service that links one
record to another (a deal to its contact, a task to its deal, a ticket to
its requester) resolves every linked id through ``readable`` or
``readable_many``, so the API, the screens, jobs and the command line all
refuse a link to a record the actor may not read — with the very answer a
record that does not exist gets, so the refusal tells nothing about what
exists. The refusal is a security event (``security.permission.denied``,
reason ``unreadable_link`` or ``other_workspace_link``), recorded after the service's transaction has
rolled back (``refusals``) and at most ``LINK_REFUSALS_RECORDED`` times
per actor in ``LINK_REFUSAL_WINDOW`` seconds. Pages that show a linked
record's name ask ``can_read`` first (``{% load records %}``), for links made
before this rule or by someone with wider rights.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db.models import Model, Q, QuerySet
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from terabox_crm import refusals
from terabox_crm.core.roles import RANK, Role
from terabox_crm.refusals import Refusal

# Recorded link refusals per actor and window: above the S7 threshold of 20
# object-level denials in 10 minutes, so a detector still sees a burst, while
# a script looping over ids adds nothing more to the audit chain.
LINK_REFUSALS_RECORDED = 50
LINK_REFUSAL_WINDOW = 600  # seconds

# Shown instead of the name of a linked record the viewer may not read.
UNREADABLE_LABEL = _("a record you cannot see")


def _own_or_team(membership) -> Q:
    condition = Q(owner_id=membership.user_id)
    if membership.team_id:
        condition |= Q(team_id=membership.team_id)
    return condition


# "Every record": a condition that is always true. Not ``Q()``, which vanishes
# when OR-ed with another condition (``Q() | Q(x)`` is ``Q(x)``).
EVERYTHING = Q(pk__isnull=False)


def reads_everything(membership) -> bool:
    return RANK[membership.role] >= RANK[Role.ADMIN] or (
        membership.workspace.record_visibility == "workspace"
    )


def _assignable(model) -> bool:
    """Whether records of ``model`` (a class or an instance) are shared with their assignee."""
    return bool(getattr(model, "assignee_reads", False))


def _assigned_q(membership, model) -> Q | None:
    return Q(assignee_id=membership.user_id) if _assignable(model) else None


def readable_q(membership, model=None) -> Q:
    """A filter for the ``model`` records ``membership`` may read (``Q(pk__in=[])``
    for none); without ``model``, the owner/team rule alone."""
    if membership is None:
        return Q(pk__in=[])
    condition = EVERYTHING if reads_everything(membership) else _own_or_team(membership)
    assigned = _assigned_q(membership, model)
    return condition if assigned is None else condition | assigned


def editable_q(membership, model=None) -> Q:
    if membership is None:
        return Q(pk__in=[])
    assigned = _assigned_q(membership, model)
    if membership.role == Role.VIEWER:
        return Q(pk__in=[]) if assigned is None else assigned
    condition = (
        EVERYTHING if RANK[membership.role] >= RANK[Role.ADMIN] else _own_or_team(membership)
    )
    return condition if assigned is None else condition | assigned


def can_read(membership, record) -> bool:
    if membership is None or record.workspace_id != membership.workspace_id:
        return False
    return (
        reads_everything(membership)
        or _owns_or_shares(membership, record)
        or _is_assignee(membership, record)
    )


def can_edit(membership, record) -> bool:
    if membership is None or record.workspace_id != membership.workspace_id:
        return False
    if _is_assignee(membership, record):
        allowed = True
    elif membership.role == Role.VIEWER:
        return False
    elif RANK[membership.role] >= RANK[Role.ADMIN]:
        allowed = True
    else:
        allowed = _owns_or_shares(membership, record)
    return allowed and lock_reason(membership, record) is None


# --- Record locks (P7) ------------------------------------------------------------------------
#
# An app may declare records read-only whatever the owner/team rule says: the
# contacts app locks a contact whose use is restricted (利用停止) and every
# record on its timeline — activities, tasks, tickets, deals — for everyone
# but privacy officers. A lock is ``check(membership, record) -> reason or
# None`` (the reason a translated text); ``can_edit`` (hence every write rule
# of the policy) refuses a locked record, ``readable_many`` refuses a new link
# to one (creating a record on a locked timeline), and the guard and the API
# answer with the lock's reason instead of a bare "no permission".

_locks: list = []
_lock_preloads: list = []


def register_lock(check, *, preload=None) -> None:
    """Declare a lock (from an app's ``ready()``; registering twice is a no-op).

    ``preload(membership, records)``, when given, answers the lock for many
    records in one query and keeps the answers in ``lock_cache``: a list whose
    rows each ask ``can_edit`` calls ``preload_locks`` first (no N+1)."""
    if check not in _locks:
        _locks.append(check)
        if preload is not None:
            _lock_preloads.append(preload)


def preload_locks(membership, records) -> None:
    """Answer every lock for ``records`` at once, before asking per record."""
    records = [record for record in records if record is not None]
    if membership is None or not records:
        return
    for preload in _lock_preloads:
        preload(membership, records)


def lock_cache(membership) -> dict:
    """A lock's memory for one membership object, i.e. one request or job:
    a timeline of a hundred activities of one contact asks about it once."""
    return membership.__dict__.setdefault("_record_locks", {})


def forget_locks(membership) -> None:
    """After a change of what locks records (a restriction set or lifted)."""
    if membership is not None:
        membership.__dict__.pop("_record_locks", None)


def lock_reason(membership, record):
    """Why ``record`` is read-only for ``membership`` (translated), or None."""
    if membership is None or record is None:
        return None
    for check in _locks:
        reason = check(membership, record)
        if reason:
            return reason
    return None


def _is_assignee(membership, record) -> bool:
    return _assignable(record) and record.assignee_id == membership.user_id


def _owns_or_shares(membership, record) -> bool:
    if record.owner_id == membership.user_id:
        return True
    return bool(membership.team_id) and record.team_id == membership.team_id


# Policy rules (``core.policy.register``) for actions on owner/team records:
# without an object they answer by role, with one they apply the rules above.


def read_rule(membership, obj) -> bool:
    if obj is None:
        return RANK[membership.role] >= RANK[Role.VIEWER]
    return can_read(membership, obj)


def write_rule(membership, obj) -> bool:
    """Change, delete, move, merge: from member up, on records one may edit
    (an assignee edits what is assigned to them, whatever their role)."""
    if obj is None:
        return RANK[membership.role] >= RANK[Role.MEMBER]
    return can_edit(membership, obj)


def member_write_rule(membership, obj) -> bool:
    """``write_rule`` from member up even for an assignee (tickets: a viewer
    may be assigned one but never answers a customer)."""
    return RANK[membership.role] >= RANK[Role.MEMBER] and write_rule(membership, obj)


def _keeps_to_workspace(query, workspace_id) -> bool:
    """Whether ``query`` is already limited to ``workspace_id`` by a top-level
    ``workspace = …`` condition (what ``ScopedManager`` adds inside a scope)."""
    where = query.where
    if where.connector != AND or where.negated:
        return False
    for condition in where.children:
        if not isinstance(condition, Exact) or getattr(condition.lhs, "target", None) is None:
            continue
        if (
            condition.lhs.target.attname != "workspace_id"
            or condition.lhs.alias != query.base_table
        ):
            continue
        if str(pk_of(condition.rhs)) == str(workspace_id):
            return True
    return False


class WorkspaceQuerySet(QuerySet):
    """Tenant rows without an owner (a workspace's webhook endpoints and their
    deliveries): ``visible_to(membership)`` is every row of the member's
    workspace; which members reach them at all is the policy's action
    (``webhooks.manage``), asked by the view before it reads.

    It names the workspace unless the query already does (the scope's own
    filter), so a job or a command that reads with scopes disabled still never
    crosses the tenant boundary, and a scoped read is not filtered twice:
    SQLite's planner, given the workspace twice, picked the plain workspace
    index over the ticket queue's (workspace, status, due) index.
    """

    def in_workspace(self, membership):
        if _keeps_to_workspace(self.query, membership.workspace_id):
            return self
        return self.filter(workspace_id=membership.workspace_id)

    def visible_to(self, membership):
        if membership is None:
            return self.none()
        return self.in_workspace(membership)


class RecordQuerySet(WorkspaceQuerySet):
    """The queryset of every ``OwnedRecord``: ``visible_to(membership)`` is the
    one spelling of "the records this member may read" (S6), the twin of
    ``can_read``; ``editable_by`` the twin of ``can_edit``.
    """

    def visible_to(self, membership):
        if membership is None:
            return self.none()
        return self.in_workspace(membership).filter(readable_q(membership, self.model))

    def editable_by(self, membership):
        if membership is None:
            return self.none()
        return self.in_workspace(membership).filter(editable_q(membership, self.model))


# --- Links to other records ---------------------------------------------------------------


def pk_of(value):
    """The primary key of a record given as itself or as its id."""
    return getattr(value, "pk", value)


def as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def find_readable(membership, model: type[Model], value) -> Model | None:
    """The ``model`` record given by ``value`` (the record or its id) when it is
    in ``membership``'s workspace and they may read it, else None.

    Records nothing: for pages that show a link and for checks of one's own.
    Reads without the request's scope, so jobs and commands can call it; the
    workspace is part of the query.
    """
    key = as_uuid(pk_of(value))
    if membership is None or key is None:
        return None
    with scopes_disabled():
        return model._default_manager.visible_to(membership).filter(pk=key).first()


def link_refusal(
    membership,
    model: type[Model],
    value,
    *,
    field: str,
) -> Refusal:
    """The refusal of a link to ``value``: the model's "choose a … of this
    workspace" message on ``field``, whether the record does not exist, is
    another workspace's, or is one the actor may not read.

    Only a record that exists is a security event: an id that names nothing
    may be a typo, and recording it would let anyone fill the chain.
    """
    message = getattr(model, "link_refused_message", None) or _("Not found.")
    refusal = Refusal(message, code=f"unknown_{field}", status=404, field=field)
    key = as_uuid(pk_of(value))
    if membership is None or key is None:
        return refusal
    with scopes_disabled():
        home = model._default_manager.filter(pk=key).values_list("workspace_id", flat=True).first()
    if home is None:
        return refusal
    budget = f"core:link-refusals:{membership.user_id}"
    if refusals.within_budget(budget, limit=LINK_REFUSALS_RECORDED, window=LINK_REFUSAL_WINDOW):
        refusal.audit_events.append(
            refusals.security_event(
                refusals.DENIED,
                actor=membership.user_id,
                workspace=membership.workspace_id,
                object_type=model._meta.label_lower,
                object_id=str(key),
                attempted=f"link.{field}",
                reason="unreadable_link"
                if str(home) == str(membership.workspace_id)
                else "other_workspace_link",
            )
        )
    return refusal


def readable(
    membership,
    model: type[Model],
    value,
    *,
    field: str,
) -> Model:
    """The ``model`` record given by ``value`` (the record or its id), re-read
    and checked: in ``membership``'s workspace and readable by them. Otherwise
    a ``Refusal``, as for a record that does not exist."""
    record = find_readable(membership, model, value)
    if record is None:
        raise link_refusal(membership, model, value, field=field)
    return record


def readable_many(
    membership,
    links: Mapping[str, tuple[type[Model], object]],
    *,
    unchanged: Mapping[str, object] | None = None,
) -> dict:
    """Every link of a write at once: ``{field: (model, record or id or None)}``
    → ``{field: record or None}``, refused on the first field that names a
    record the actor may not read.

    ``unchanged`` holds the records already linked (an update): a link kept
    as it was is not re-checked, so an edit by someone who cannot read a
    record linked by a colleague keeps that link instead of failing — saving
    it again reveals nothing they did not already have.
    """
    unchanged = unchanged or {}
    found = {}
    for field, (model, value) in links.items():
        current = unchanged.get(field)
        if value in (None, ""):
            found[field] = None
        elif current is not None and str(pk_of(current)) == str(pk_of(value)):
            found[field] = current
        else:
            found[field] = readable(membership, model, value, field=field)
            reason = lock_reason(membership, found[field])
            if reason is not None:  # a new record on a locked timeline (P7)
                raise refusals.denial(
                    "records.link",
                    found[field],
                    actor=membership.user_id,
                    workspace=membership.workspace_id,
                    message=reason,
                    code="restricted",
                    status=403,
                    reason="locked_link",
                )
    return found


def target_resolver(model: type[Model], url_name: str, name=str):
    """A resolver for the audit trail's targets (audit/targets.py): the
    ``model`` records among ``ids`` that ``membership`` may read, as
    ``{id: (name, url)}`` — one query for a page of events."""
    from django.urls import reverse

    def resolve(membership, ids: list[str]) -> dict[str, tuple[str, str]]:
        keys = [key for key in (as_uuid(value) for value in ids) if key is not None]
        if not keys:
            return {}
        with scopes_disabled():
            rows = list(model._default_manager.visible_to(membership).filter(pk__in=keys))
        return {str(row.pk): (name(row), reverse(url_name, args=[row.pk])) for row in rows}

    return resolve
