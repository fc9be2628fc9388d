"""Which user an incoming user id names: only ever a member of the caller's
workspace (S6, S7).

A deal's owner, a task's or a ticket's assignee, a contact's or a company's
owner: every user id a service accepts is resolved here, among the members of
the workspace and nowhere else. An id that is not a member's gets one answer,
"Choose a member of this workspace.", whether it names nobody, a user of
another workspace, a former member, or is not an id at all — so a token
holder cannot learn which user ids exist elsewhere.

Trying such ids again and again looks like probing: the attempts are counted
per actor in the cache, and once ``PROBE_LIMIT`` of them fall within
``PROBE_WINDOW`` seconds the refusal carries a
``security.request.foreign_user_id`` event (ids and a count only), recorded
once per actor and window so a loop cannot flood the audit chain.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from terabox_crm.core import refusals
from terabox_crm.core.errors import Refusal
from terabox_crm.core.models import Membership
from terabox_crm.core.records import as_uuid, pk_of

NOT_A_MEMBER = _("Choose a member of this workspace.")
FOREIGN_USER_ID = "security.request.foreign_user_id"
PROBE_LIMIT = 5
PROBE_WINDOW = 600  # seconds


def members(workspace):
    """The memberships of ``workspace`` with their users (for choice lists)."""
    workspace_id = pk_of(workspace)
    with scopes_disabled():
        return Membership.objects.select_related("user").filter(workspace_id=workspace_id)


def member_user(
    *,
    workspace,
    value,
    actor,
    field: str,
    current=None,
):
    """The user named by ``value`` (a user or a user id) if they are a member of
    ``workspace``; otherwise a ``Refusal`` with the one answer for every other id.

    ``current`` is the user the field holds now (an update): keeping it is
    not re-checked, so a record whose owner has left can still be edited.
    """
    if current is not None and str(pk_of(current)) == str(pk_of(value)):
        return current
    key = as_uuid(pk_of(value))
    membership = None
    if key is not None:
        membership = members(workspace).filter(user_id=key).first()
    if membership is not None:
        return membership.user
    raise Refusal(
        NOT_A_MEMBER,
        code=f"unknown_{field}",
        field=field,
        audit_events=note_non_member(workspace=workspace, actor=actor, field=field, value=value),
    )


def note_non_member(*, workspace, actor, field: str, value) -> list[dict]:
    """Count one refused user id for ``actor``; the security event to record
    when the count has just reached ``PROBE_LIMIT`` in the window, else none."""
    actor_id = pk_of(actor)
    key = f"core:foreign-user-ids:{actor_id}"
    attempts = refusals.count(key, window=PROBE_WINDOW)
    if attempts < PROBE_LIMIT:
        return []
    if not cache.add(f"{key}:recorded", 1, PROBE_WINDOW):
        return []
    tried = as_uuid(pk_of(value))
    return [
        refusals.security_event(
            FOREIGN_USER_ID,
            actor=actor_id,
            workspace=pk_of(workspace),
            attempted=field,
            reason="not_a_member",
            user_id=str(tried) if tried else "",
            attempts=attempts,
            window_seconds=PROBE_WINDOW,
        )
    ]
