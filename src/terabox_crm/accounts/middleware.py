"""Session rules (S14) and the user's language choice."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import translation


class SessionPolicyMiddleware:
    """End sessions past the absolute lifetime (the idle one is the cookie age)."""

    KEY = "auth_started_at"  # accounts.session_keys.AUTH_STARTED_AT

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(self.KEY)
            if started is None:
                request.session[self.KEY] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


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
