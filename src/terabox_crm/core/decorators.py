"""The one way a web view asks the permission policy.

``@permission_required("members.manage")`` answers 403 (and records a
``security.permission.denied`` event, S7 counts them) when the current
membership may not perform the action. Object-level checks happen in the view
after fetching the object through a scoped manager, where another workspace's
object is already a 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction

from terabox_crm import audit
from terabox_crm.core import policy


def record_denial(request, action: str, obj=None) -> None:
    """Put a refused access on the workspace's audit chain (ids only)."""
    membership = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    # The view name, not the path: a path may carry a token.
    view_name = match.view_name if match else ""
    with transaction.atomic():
        audit.record(
            "security.permission.denied",
            actor=request.user,
            workspace=membership.workspace if membership else None,
            obj=obj,
            payload={"attempted": action, "reason": "permission_denied", "view": view_name},
        )


def permission_required(action: str):
    """Require a signed-in user whose current membership may perform ``action``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not policy.can(getattr(request, "membership", None), action):
                record_denial(request, action)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator
