"""Users accept a new policy version at their first sign-in after it takes
effect (P10).

A signed-in browser request whose user has not accepted a version in force
(one that took effect after they joined, ``services.pending_for``) is sent to
the acceptance page; the public policy pages, sign-out, language, step-up,
two-factor enrolment, static files and health checks stay reachable. API
requests (``/api/``: tokens, scripts) are never redirected. Once a session
has nothing to accept, the versions it checked are remembered in the session,
so the database is asked again only when a new version takes effect; the
versions in force come from the cache (``selectors.versions_in_force``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from terabox_crm.policies import selectors, services

SESSION_KEY = "policies.settled"

ALLOWED_URL_NAMES = frozenset(
    {
        "accounts:logout",
        "accounts:step_up",
        "accounts:mfa_enrol",
        "web:set_language",
        "web:security_txt",
        "web:legacy_security_txt",
        "healthz",
        "readyz",
    }
)


class PolicyAcceptanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith("/api/")
            and hasattr(request, "session")
            and not self._settled(request, user)
            and not self._allowed(request)
        ):
            return self._to_accept(request)
        return self.get_response(request)

    def _settled(self, request, user) -> bool:
        # Versions in force since before the user joined were accepted by
        # joining: for most requests this is all, with no query at all.
        relevant = sorted(
            str(version.pk)
            for version in selectors.versions_in_force()
            if version.effective_at > user.date_joined
        )
        if not relevant or request.session.get(SESSION_KEY) == relevant:
            return True
        if services.pending_for(user):
            return False
        request.session[SESSION_KEY] = relevant
        return True

    def _allowed(self, request) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.namespace == "policies" or match.view_name in ALLOWED_URL_NAMES

    def _to_accept(self, request):
        url = reverse("policies:accept")
        if request.method in {"GET", "HEAD"}:
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
