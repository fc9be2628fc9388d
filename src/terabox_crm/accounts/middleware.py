"""Session rules (S14), two-factor enforcement, and the user's language choice.

``SessionPolicyMiddleware`` (after ``AuthenticationMiddleware``) accepts a
signed-in session only while it is listed (``UserSession``: revocation deletes
the row) and younger than ``SESSION_ABSOLUTE_SECONDS`` (12 h); anything else
is signed out and the request goes on as anonymous, so pages send it to the
sign-in screen. The idle limit (30 min) is the session's own expiry,
``SESSION_COOKIE_AGE`` after its last save; ``tracking.touch`` has the session
saved again when that deadline is a minute old, so a read within a minute of
the last one writes nothing (S14).

``MFAEnforcementMiddleware`` (after ``core``'s ``WorkspaceMiddleware``) makes
sure nobody uses a workspace that requires two-factor without it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from terabox_crm.accounts import session_keys, tracking


def now() -> float:
    return time.time()


class SessionPolicyMiddleware:
    """Sign out sessions that were revoked or are past the absolute lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        row = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(session_keys.AUTH_STARTED_AT)
            row = tracking.session_row(request)
            expired = started is None or now() - started > settings.SESSION_ABSOLUTE_SECONDS
            if expired or row is None or row.user_id != user.pk:
                logout(request)
                row = None
            else:
                tracking.touch(request, row)
        response = self.get_response(request)
        if row is not None and getattr(request.user, "pk", None) == row.user_id:
            # The view may have rotated the key (password change): keep the row findable.
            tracking.follow_key(row, request)
        return response


class MFAEnforcementMiddleware:
    """Two-factor where a workspace requires it (S14).

    For a signed-in session without ``MFA_VERIFIED_AT``:

    * the user has a confirmed device → the second factor was skipped
      somehow; the session is signed out;
    * some workspace of the user requires two-factor for them → only the
      enrolment page (and step-up, sign-out, language, static files and health
      checks) can be used until they enrol; other pages redirect there and the
      API answers 403 problem details.

    It also remembers the workspace in use, which the next sign-in reopens.
    """

    ALLOWED_URL_NAMES = frozenset(
        {
            "accounts:mfa_enrol",
            "accounts:step_up",
            "accounts:logout",
            "web:set_language",
            "web:security_txt",
            "healthz",
            "readyz",
        }
    )
    PROBLEM_TYPE = "https://terabox-crm.dev/problems/mfa-enrolment-required"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._remember_workspace(request, user)
            if not request.session.get(session_keys.MFA_VERIFIED_AT):
                if user.has_confirmed_totp:
                    logout(request)
                    return self._to_sign_in(request)
                if not self._allowed(request) and user.mfa_required():
                    return self._to_enrolment(request)
        return self.get_response(request)

    def _allowed(self, request) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in self.ALLOWED_URL_NAMES

    def _to_enrolment(self, request):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": self.PROBLEM_TYPE,
                    "title": _("Two-factor authentication is required."),
                    "status": 403,
                    "detail": _(
                        "Your workspace requires two-factor authentication. "
                        "Set it up in the web app before using the API."
                    ),
                },
                status=403,
                content_type="application/problem+json",
            )
        return redirect("accounts:mfa_enrol")

    def _to_sign_in(self, request):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "https://terabox-crm.dev/problems/unauthenticated",
                    "title": _("Sign in again."),
                    "status": 401,
                },
                status=401,
                content_type="application/problem+json",
            )
        return redirect(reverse(settings.LOGIN_URL))

    @staticmethod
    def _remember_workspace(request, user) -> None:
        workspace = getattr(request, "workspace", None)
        if workspace is not None and user.last_workspace_id != workspace.pk:
            from django.contrib.auth import get_user_model

            get_user_model().objects.filter(pk=user.pk).update(last_workspace_id=workspace.pk)
            user.last_workspace_id = workspace.pk


class UserLanguageMiddleware:
    """A signed-in user's own language setting wins over Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or "ja")
        return response
