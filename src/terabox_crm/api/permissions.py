"""The API's one permission class: the same policy as the web views (S6).

A view declares ``permission_action = "contacts.view"`` — or a dict by HTTP
method, ``{"GET": "contacts.view", "POST": "contacts.create"}`` — and
``PolicyPermission`` asks ``core.policy.can(request.membership, action, obj)``.
A view that declares nothing, or a method missing from its dict, is denied:
the class fails closed. ``request.membership`` is set by
``core.middleware.WorkspaceMiddleware`` for session requests and by
``api.authentication.ApiTokenMiddleware`` for bearer tokens.

A request made with a personal access token must also carry the scope the
request needs: ``read`` for safe methods, ``write`` for the others, and
``export`` for export actions — a view's ``token_scope`` (a scope, or a dict by
HTTP method), else any action whose last part starts with ``export``; and
``privacy`` for erasure (P8), the one scope a token needs in place of the
step-up it cannot do (S4). The refusal names the scope needed. The
role check still applies: a scope never grants more than the token owner's role.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from terabox_crm.api.authentication import token_scopes
from terabox_crm.core import policy, records
from terabox_crm.core.decorators import record_denial

# Reads that carry no body and change nothing ask for the GET action.
_READ_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


def action_for(request, view) -> str | None:
    declared = getattr(view, "permission_action", None)
    if isinstance(declared, dict):
        method = request.method.upper()
        return declared.get(method) or declared.get(_READ_ALIASES.get(method, ""))
    return declared


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = _("The API token does not have the scope this request needs.")
    default_code = "insufficient_scope"
    problem_type = "insufficient-scope"


def scope_for(request, view, action: str | None) -> str:
    """The token scope a request needs (see the module docstring)."""
    declared = getattr(view, "token_scope", None)
    if isinstance(declared, dict):
        method = request.method.upper()
        declared = declared.get(method) or declared.get(_READ_ALIASES.get(method, ""))
    if declared:
        return declared
    if action and action.rsplit(".", 1)[-1].startswith("export"):
        return "export"
    return "read" if request.method.upper() in SAFE_METHODS else "write"


class PolicyPermission(BasePermission):
    """Allow exactly what ``core.policy`` allows the current membership."""

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False  # DRF answers "not authenticated", not "forbidden"
        action = action_for(request, view)
        self._check_scope(request, view, action)
        allowed = bool(action) and policy.can(getattr(request, "membership", None), action)
        if not allowed:
            self._record(request, action or "")
        return allowed

    def has_object_permission(self, request, view, obj) -> bool:
        action = action_for(request, view)
        allowed = bool(action) and policy.can(getattr(request, "membership", None), action, obj)
        if not allowed:
            self._record(request, action or "", obj)
            # A locked record (a restricted person's timeline, P7) says why;
            # else a view may word the refusal of one object (``object_refusals``,
            # by action): the words its service gave before the rule was the policy's.
            self.message = records.lock_reason(
                getattr(request, "membership", None), obj
            ) or getattr(view, "object_refusals", {}).get(action)
        return allowed

    def _check_scope(self, request, view, action: str | None) -> None:
        scopes = token_scopes(request)
        if scopes is None:  # a session request: the role alone decides
            return
        needed = scope_for(request, view, action)
        if needed not in scopes:
            self._record(request, f"{action or ''} (scope {needed})")
            raise InsufficientScope(
                _("This request needs an API token with the “%(scope)s” scope.") % {"scope": needed}
            )

    @staticmethod
    def _record(request, action: str, obj=None) -> None:
        # Refusals are security events (S7), as for the web views.

        record_denial(request, action, obj)
