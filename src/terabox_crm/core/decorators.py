"""The one way a web view asks the permission policy, and answers a refusal.

``@permission_required("members.manage")`` answers 403 (and records a
``security.permission.denied`` event, S7 counts them) when the current
membership may not perform the action. Object-level checks happen in the view
after fetching the object through a scoped manager, where another workspace's
object is already a 404: ``require_object(request, action, obj)`` asks the same
guard (``core.guards``), records the denial and answers 403. The API asks the
same guard through ``api.permissions.PolicyPermission``.

``@refusals_answered`` turns a ``refusals.Refusal`` a service raised with
status 403 or 404 into Django's 403 or 404 page; the service's guard has
already put it on record. Refusals with another status (form errors) are the
view's to show.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from terabox_crm.core import guards, policy
from terabox_crm.refusals import Refusal


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    # The view name, not the path: a path may carry a token.
    return match.view_name if match else ""


def request_refusal(request, action: str, obj=None, *, reason: str = "permission_denied"):
    """The guard's refusal of ``action`` for this request, with its denial on
    the workspace's audit chain (ids only)."""
    membership = getattr(request, "membership", None)
    return guards.refusal(
        membership,
        action,
        obj,
        code="permission_denied",
        reason=reason,
        actor=request.user,
        workspace=membership.workspace if membership else None,
        view=_view_name(request),
    )


def record_denial(request, action: str, obj=None) -> None:
    """Put a refused access on the workspace's audit chain (ids only)."""
    request_refusal(request, action, obj)


def require_object(request, action: str, obj=None, *, allowed: bool | None = None) -> None:
    """403, recorded, unless the request's membership may do ``action`` on
    ``obj`` — the policy decides unless the view passes ``allowed``."""
    membership = getattr(request, "membership", None)
    if allowed is None:
        allowed = policy.can(membership, action, obj)
    if not allowed:
        request_refusal(request, action, obj)
        raise PermissionDenied


def answer(refusal: Refusal) -> None:
    """Raise the 403 or 404 page for a service's 403 or 404 ``refusal``."""
    if refusal.status == 403:
        raise PermissionDenied from refusal
    if refusal.status == 404:
        raise Http404 from refusal


def refusals_answered(view):
    """A service's 403 or 404 refusal becomes the 403 or 404 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refusal as refusal:
            answer(refusal)
            raise

    return wrapper


def permission_required(action: str):
    """Require a signed-in user whose current membership may perform ``action``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require_object(request, action)
            return view(request, *args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator
