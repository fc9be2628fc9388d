"""``Authorization: Bearer tbx_…``: personal access tokens on the API.

Two halves, because django-scopes scopes are context managers that must
close when the request ends:

* ``ApiTokenMiddleware`` (after ``core``'s ``WorkspaceMiddleware``) resolves a
  bearer token on ``/api/`` requests: it checks the hash, expiry, revocation
  and that the user is still an active member of the token's workspace, sets
  ``request.membership`` / ``request.workspace`` (overriding any session's),
  and runs the rest of the request inside that workspace's scope.
* ``BearerTokenAuthentication`` (first in DRF's authentication classes) hands
  DRF the resolved user and token (``request.auth``, whose ``scopes`` the
  ``PolicyPermission`` checks), or answers 401 with ``WWW-Authenticate:
  Bearer`` for a wrong, expired or revoked token.

A request without a bearer token falls through to session authentication,
which keeps enforcing CSRF. A revoked token that is still used is a security
event on the token's workspace chain.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from terabox_crm import audit
from terabox_crm.api.models import ApiToken
from terabox_crm.api.services import TOKEN_PREFIX
from terabox_crm.core.models import Membership

KEYWORD = "Bearer"
# last_used_at is a hint for the user, not an audit record: at most one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_REQUEST_ATTR = "_tbx_bearer"
REVOKED_USE_RECORD_EVERY = 3600  # seconds


@dataclass(frozen=True)
class Resolved:
    token: ApiToken | None
    membership: object | None
    error: object = ""  # lazy message when refused


def bearer_secret(request) -> str | None:
    """The raw token of an ``Authorization: Bearer`` header, else None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != KEYWORD.lower():
        return None
    return parts[1]


INVALID = _("The API token is not valid.")
EXPIRED = _("The API token has expired.")
REVOKED = _("The API token has been revoked.")
NOT_MEMBER = _("The API token's owner is no longer a member of its workspace.")


def _record_revoked_use(token: ApiToken) -> None:
    with transaction.atomic():
        audit.record(
            "security.api.token.revoked_used",
            actor=token.user,
            workspace=token.workspace,
            obj=token,
            payload={"reason": "revoked"},
        )


def resolve(secret: str) -> Resolved:
    """Check ``secret`` against the stored hashes; never raises."""

    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
        return Resolved(None, None, INVALID)
    digest = ApiToken.hash_secret(secret)
    with scopes_disabled():
        token = (
            ApiToken.objects.select_related("user", "workspace").filter(token_hash=digest).first()
        )
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            return Resolved(None, None, INVALID)
        if token.revoked_at is not None:
            # Once an hour per token: a script retrying in a loop must not
            # flood the audit chain (the key is a token id, not personal).
            if cache.add(f"api:revoked-used:{token.pk}", 1, REVOKED_USE_RECORD_EVERY):
                _record_revoked_use(token)
            return Resolved(None, None, REVOKED)
        now = timezone.now()
        if token.is_expired(now):
            return Resolved(None, None, EXPIRED)
        if not token.user.is_active:
            return Resolved(None, None, INVALID)
        membership = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace_id=token.workspace_id, user_id=token.user_id)
            .first()
        )
        # A token made before the current membership began belongs to an earlier
        # stay: removing someone and inviting them back must not revive it.
        if membership is None or token.created_at < membership.created_at:
            return Resolved(None, None, NOT_MEMBER)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return Resolved(token, membership)


class ApiTokenMiddleware:
    """Resolve a bearer token and scope the request to its workspace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        secret = bearer_secret(request)
        if secret is None:
            return self.get_response(request)
        resolved = resolve(secret)
        setattr(request, _REQUEST_ATTR, resolved)
        if resolved.token is None:
            # No identity from a bad token, even if a session cookie came along.
            request.membership = None
            request.workspace = None
            return self.get_response(request)
        request.membership = resolved.membership
        request.workspace = resolved.membership.workspace
        with scope(workspace=request.workspace):
            return self.get_response(request)


class BearerTokenAuthentication(BaseAuthentication):
    """DRF's side: the user and token the middleware resolved, or 401."""

    def authenticate(self, request):
        if bearer_secret(request) is None:
            return None
        resolved = getattr(request._request, _REQUEST_ATTR, None)
        if resolved is None:
            # Without the middleware nothing scoped the request: fail closed.
            raise exceptions.AuthenticationFailed(INVALID)
        if resolved.token is None:
            raise exceptions.AuthenticationFailed(resolved.error)
        return resolved.membership.user, resolved.token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


def token_scopes(request) -> frozenset[str] | None:
    """The scopes of the token behind ``request``; None for session requests."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return frozenset(auth.scopes)
    return None


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema (``/api/schema/``) how bearer tokens are sent."""

    target_class = BearerTokenAuthentication
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (tbx_…) from /api-tokens/ or "
            "`terabox-crm token`; its scopes (read, write, export, privacy) limit what it may do.",
        }
