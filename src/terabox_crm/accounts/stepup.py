"""Step-up re-authentication (S4): password + second factor again, valid for
``STEP_UP_SECONDS`` (5 minutes), before sensitive actions.

Views declare ``@step_up_required``; the accounts app owns the step-up page
that sets ``session[STEP_UP_AT]`` and sends the user back with ``?next=``.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from terabox_crm.accounts import session_keys


def has_fresh_step_up(request) -> bool:
    stamp = request.session.get(session_keys.STEP_UP_AT)
    return stamp is not None and time.time() - stamp <= settings.STEP_UP_SECONDS


def step_up_required(view):
    """Send the user through step-up first unless they did it in the last 5 minutes."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if has_fresh_step_up(request):
            return view(request, *args, **kwargs)
        target = (
            request.get_full_path()
            if request.method == "GET"
            else request.META.get("HTTP_REFERER", "/")
        )
        return redirect(f"{reverse('accounts:step_up')}?{urlencode({'next': target})}")

    wrapper.requires_step_up = True
    return wrapper
