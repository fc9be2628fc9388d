"""The API's one permission class: the same policy as the web views (S6).

A view declares ``permission_action = "contacts.view"`` — or a dict by HTTP
method, ``{"GET": "contacts.view", "POST": "contacts.create"}`` — and
``PolicyPermission`` asks ``core.policy.can(request.membership, action, obj)``.
A view that declares nothing, or a method missing from its dict, is denied:
the class fails closed. ``request.membership`` is set by
``core.middleware.WorkspaceMiddleware`` for session requests.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from terabox_crm.core import policy

# Reads that carry no body and change nothing ask for the GET action.
_READ_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


def action_for(request, view) -> str | None:
    declared = getattr(view, "permission_action", None)
    if isinstance(declared, dict):
        method = request.method.upper()
        return declared.get(method) or declared.get(_READ_ALIASES.get(method, ""))
    return declared


class PolicyPermission(BasePermission):
    """Allow exactly what ``core.policy`` allows the current membership."""

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False  # DRF answers "not authenticated", not "forbidden"
        action = action_for(request, view)
        allowed = bool(action) and policy.can(getattr(request, "membership", None), action)
        if not allowed:
            self._record(request, action or "")
        return allowed

    def has_object_permission(self, request, view, obj) -> bool:
        action = action_for(request, view)
        allowed = bool(action) and policy.can(getattr(request, "membership", None), action, obj)
        if not allowed:
            self._record(request, action or "", obj)
        return allowed

    @staticmethod
    def _record(request, action: str, obj=None) -> None:
        # Refusals are security events (S7), as for the web views.
        from terabox_crm.core.decorators import record_denial

        record_denial(request, action, obj)
