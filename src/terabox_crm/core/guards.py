"""The two checks a domain service starts with: the actor's membership of
the workspace, and the permission policy's answer for the action.

Services check again what their views and API endpoints already checked,
so that a job, a command or a future caller cannot skip the policy; both
layers ask the same ``core.policy`` rules, never role names.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from terabox_crm.core import policy
from terabox_crm.core.errors import ServiceRefusal
from terabox_crm.core.models import Membership


def membership_of(actor, workspace, *, error: type[ServiceRefusal] = ServiceRefusal) -> Membership:
    """``actor``'s membership of ``workspace``; a 404 refusal when there is none
    (another workspace's caller learns nothing about it)."""
    membership = Membership.objects.filter(user=actor, workspace=workspace).first()
    if membership is None:
        raise error(_("Not found."), code="not_member", status=404)
    return membership


def require(
    membership: Membership,
    action: str,
    obj=None,
    *,
    message: str,
    error: type[ServiceRefusal] = ServiceRefusal,
) -> None:
    """Refuse with ``message`` (403) unless the policy allows ``action``."""
    if not policy.can(membership, action, obj):
        raise error(message, code="forbidden", status=403)
