"""Request plumbing: request id and client address, the body-size limit, and
the current workspace (with its django-scopes scope) for every request."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django_scopes import scope, scopes_disabled

from terabox_crm import context
from terabox_crm.accounts import session_keys
from terabox_crm.accounts.selectors import membership_for


def client_ip(request: HttpRequest) -> str:
    """The client address for audit events and per-IP throttles.

    Always REMOTE_ADDR: behind a proxy (CRM_BEHIND_PROXY) uvicorn has already
    replaced it with the address the trusted proxy saw, walking
    X-Forwarded-For from the right. Reading the header here would trust its
    leftmost entry, which any client can write.
    """
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Give each request an id and record where it came from for audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        ctx = context.RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:512],
            channel=channel,
        )
        request.request_id = request_id
        with context.activate(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.path.startswith(("/accounts/", "/api/")) or (
            getattr(request, "user", None) and request.user.is_authenticated
        ):
            # Pages with personal data or credentials are never cached by browsers or proxies.
            response.setdefault("Cache-Control", "no-store")
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BODY_BYTES`` with 413 before reading them (S7).

    A POST under one of ``LARGE_BODY_PATHS`` (imports of a whole file) has
    the larger ``MAX_IMPORT_BODY_BYTES`` instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BODY_BYTES
        if request.method == "POST" and request.path.startswith(
            tuple(getattr(settings, "LARGE_BODY_PATHS", ()))
        ):
            limit = max(limit, settings.MAX_IMPORT_BODY_BYTES)
        if length > limit:
            return import_string(settings.REQUEST_TOO_LARGE_VIEW)(request)
        return self.get_response(request)


class WorkspaceMiddleware:
    """Resolve the current workspace from the session and scope all queries to it.

    ``request.workspace`` and ``request.membership`` are None when the user is
    anonymous or belongs to no workspace; tenant-model queries then raise
    (django-scopes) unless the code opts out explicitly.
    """

    SESSION_KEY = session_keys.WORKSPACE

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with scopes_disabled():
                membership = membership_for(user, request.session.get(self.SESSION_KEY))
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
                chosen = str(membership.workspace_id)
                # Assigning marks the session modified, and a modified session
                # is written: only a change of workspace may do that.
                if request.session.get(self.SESSION_KEY) != chosen:
                    request.session[self.SESSION_KEY] = chosen
        if request.workspace is None:
            return self.get_response(request)
        with scope(workspace=request.workspace):
            return self.get_response(request)
