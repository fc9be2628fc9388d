from __future__ import annotations

from terabox_crm.core import policy
from terabox_crm.core.selectors import memberships_of


def workspace(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_workspace": None, "current_membership": None}

    def switcher():
        return memberships_of(user)

    return {
        "current_workspace": getattr(request, "workspace", None),
        "current_membership": membership,
        "workspace_memberships": switcher,  # evaluated lazily by the template
        "perms_here": _Perms(membership),
    }


class _Perms:
    """Template access to the policy: ``{% if perms_here.audit__view %}``."""

    def __init__(self, membership):
        self.membership = membership

    def __getattr__(self, name: str) -> bool:
        return policy.can(self.membership, name.replace("__", "."))
