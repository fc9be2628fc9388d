"""Step-up re-authentication (S4): password + second factor again, valid for
``STEP_UP_SECONDS`` (5 minutes), before sensitive actions.

Views declare ``@step_up_required``. Without a fresh step-up a web request is
sent to the step-up page (``accounts:step_up``) with ``?next=`` (the page
itself for a GET, the page the form was on for a POST); an API request
(``/api/…``) gets 403 problem details of type ``…/problems/step-up-required``
instead, since a script cannot follow a form. A complete sign-in counts as a
step-up (``signin.complete``).
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from terabox_crm.accounts import session_keys

PROBLEM_TYPE = "https://terabox-crm.dev/problems/step-up-required"


def has_fresh_step_up(request) -> bool:
    stamp = request.session.get(session_keys.STEP_UP_AT)
    return stamp is not None and 0 <= time.time() - stamp <= settings.STEP_UP_SECONDS


def _return_to(request) -> str:
    if request.method == "GET":
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def step_up_required_response(request):
    """The answer to a request that needs a fresh step-up it does not have."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": PROBLEM_TYPE,
                "title": _("Confirm it is you first."),
                "status": 403,
                "detail": _(
                    "This action needs a re-authentication with your password and "
                    "two-factor code in the last %(minutes)d minutes. Confirm it in the "
                    "web app (Account security) and try again."
                )
                % {"minutes": settings.STEP_UP_SECONDS // 60},
            },
            status=403,
            content_type="application/problem+json",
        )
    if not request.user.is_authenticated:
        return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': _return_to(request)})}")
    return redirect(f"{reverse('accounts:step_up')}?{urlencode({'next': _return_to(request)})}")


def step_up_required(view):
    """Send the user through step-up first unless they did it in the last 5 minutes."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and has_fresh_step_up(request):
            return view(request, *args, **kwargs)
        return step_up_required_response(request)

    wrapper.requires_step_up = True
    return wrapper
