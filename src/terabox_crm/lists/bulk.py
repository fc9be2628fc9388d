"""One bulk action on a list, shared by the five lists (docs/ui.md "Bulk
actions"; contacts, companies, deals, tickets, tasks).

``run`` does what every bulk action does: it checks the action, parses the
selection (1 to ``anatomy.BULK_LIMIT`` ids), loads the records and asks the
policy for each one (locks of restricted people included, P7), all in one
transaction — a refusal changes nothing and its security events are kept
(``recorded_after_rollback``). What an action does to the records is the
resource's hook (``Bulk.handlers``). ``reassign`` is the owner / assignee
hook several lists share; ``respond`` is the POST view's answer (a message,
then back to the list with its filters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm import audit
from terabox_crm.core import bus, guards, members
from terabox_crm.lists import anatomy
from terabox_crm.refusals import Refusal, recorded_after_rollback

# A hook: (membership, the allowed records in the chosen order, the value
# posted, the action's audit name) → how many records it changed.
Handler = Callable[..., int]


@dataclass(frozen=True)
class Bulk:
    """One list's bulk actions.

    ``app``: the action names' prefix (``"deals"`` → ``deals.bulk.stage``).
    ``handlers``: action → hook. ``permissions``: action → the permission
    each record must allow (default ``<app>.change``; ``delete`` →
    ``<app>.delete``). ``queryset``: the member's visible records for an
    action (``select_related`` what the hook reads)."""

    app: str
    handlers: Mapping[str, Handler]
    queryset: Callable[..., object]
    permissions: Mapping[str, str] = field(default_factory=dict)
    require: bool = False  # ask the role for the permission before the ids

    def permission(self, action: str) -> str:
        default = f"{self.app}.delete" if action == "delete" else f"{self.app}.change"
        return self.permissions.get(action, default)


def refused_value(membership, name: str, message) -> Refusal:
    """The refusal of a value an action cannot use (an unknown owner, stage, tag)."""
    return guards.invalid(membership, name, message=message, code="bad_value")


@recorded_after_rollback
@transaction.atomic
def run(bulk: Bulk, *, membership, ids, action: str, value="") -> int:
    """Apply ``action`` to the chosen records, all or nothing; returns how
    many were changed (one audit event each, the one a single change records)."""
    handler = bulk.handlers.get(action)
    if handler is None:
        raise refused_value(membership, f"{bulk.app}.bulk", _("Choose an action."))
    name = f"{bulk.app}.bulk.{action}"
    permission = bulk.permission(action)
    if bulk.require:
        guards.require(membership, permission)
    chosen = anatomy.bulk_ids(membership, ids, action=name)
    rows = anatomy.bulk_records(
        membership, bulk.queryset(membership, action), chosen, permission=permission, action=name
    )
    # The records' bus events go out together after the commit: a listener
    # (webhooks) makes one set-based pass over all of them.
    with bus.collecting():
        return handler(membership, rows, value, name)


def reassign(
    membership,
    rows: list,
    value,
    name: str,
    *,
    field: str,
    event: str,
    message,
    subject: Callable | None = None,
) -> int:
    """Give ``rows`` to the member ``value`` names (the ``field``: owner,
    assignee): one UPDATE for the records that change, one audit batch
    (``<event>`` is the bus event, e.g. ``deal.updated``; the audit action
    is ``<app>.<event>``), their bus events after the commit."""
    if not rows:
        return 0
    try:
        user = members.member_user(
            workspace=membership.workspace_id,
            value=value,
            actor=membership.user_id,
            field=f"{field}_id",
        )
    except Refusal:
        raise refused_value(membership, name, message) from None
    column = f"{field}_id"
    changed = [row for row in rows if str(getattr(row, column)) != str(user.pk)]
    model = type(rows[0])
    model.objects.filter(pk__in=[row.pk for row in changed]).update(
        **{column: user.pk, "updated_at": timezone.now()}
    )
    audited(
        membership,
        changed,
        action=f"{model._meta.app_label}.{event}",
        fields=[field],
        subject=subject,
    )
    bus.publish_many(
        event, workspace_id=membership.workspace_id, object_ids=[row.pk for row in changed]
    )
    return len(changed)


def reassigning(*, field: str, event: str, message, subject: Callable | None = None) -> Handler:
    """``reassign`` as a ``Bulk`` hook (the owner or assignee action of a list)."""

    def handler(membership, rows: list, value, name: str) -> int:
        return reassign(
            membership,
            rows,
            value,
            name,
            field=field,
            event=event,
            message=message,
            subject=subject,
        )

    return handler


def audited(membership, rows, *, action: str, fields: list[str], subject=None, payload=None):
    """The ``<app>.<kind>.updated``-style audit event of each changed record, in one batch."""
    audit.record_many(
        [
            {
                "action": action,
                "actor": membership.user_id,
                "workspace": membership.workspace_id,
                "obj": row,
                "payload": payload(row) if payload else {"fields": fields, "bulk": True},
                "subject_id": subject(row) if subject else None,
            }
            for row in rows
        ]
    )


def respond(request, service, *, url_name: str, changed, deleted=None):
    """The bulk POST's answer: run ``service`` with the posted selection, say
    how it went (``changed`` / ``deleted``: ``ngettext_lazy(..., "count")``
    texts that show ``%(n)s``) or why nothing changed, and go back to the list with its filters."""
    action = request.POST.get("action", "")
    try:
        count = service(
            membership=request.membership,
            ids=request.POST.getlist("ids"),
            action=action,
            value=request.POST.get(f"value_{action}", ""),
        )
    except Refusal as refusal:
        messages.error(request, refusal.text)
    else:
        text = deleted if action == "delete" and deleted is not None else changed
        messages.success(request, text % {"count": count, "n": f"{count:,}"})
    query = (request.POST.get("query", "") or "").lstrip("?")
    url = reverse(url_name)
    return redirect(f"{url}?{query}" if query and "//" not in query else url)
