"""Block an address that draws a flood of refused requests (S7).

More than ``rules.ERRORS_PER_MINUTE`` (50) 4xx answers to one address within
a minute block it for ``rules.BLOCK_SECONDS`` (15 minutes): every request
from it is answered 429 with ``Retry-After`` — problem details under
``/api/``, the translated error page elsewhere (``settings.ERROR_RESPONSE``)
— before sessions, authentication or any query. The block lives in the
shared cache, so every process refuses, and stores its end time, so it lifts
itself. Cost per request: one cache read, plus one increment per 4xx.

Loopback addresses (the test client, a desktop install, a local proxy that
does not pass the client's address) are never counted or blocked unless
``DETECTION_BLOCK_LOOPBACK`` is on.

Placed right after ``RequestContextMiddleware`` (settings.MIDDLEWARE): it
sees the final status of every answer, including the 405 and 413 of the
middleware after it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from terabox_crm.detection import rules

BLOCKED_TITLE = _("Too many refused requests")
BLOCKED_MESSAGE = _(
    "Too many requests from your address were refused in a short time, so it is blocked "
    "for a while. Try again in %(minutes)s minutes."
)


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


class BlockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = request.META.get("REMOTE_ADDR", "")
        if _is_loopback(ip) and not getattr(settings, "DETECTION_BLOCK_LOOPBACK", False):
            return self.get_response(request)
        seconds = rules.blocked_for(ip)
        if seconds:
            return blocked(request, seconds)
        response = self.get_response(request)
        if 400 <= response.status_code < 500:
            rules.refused_response(ip)
        return response


def blocked(request, seconds: int):
    """The 429 of a blocked address, in the visitor's language."""
    return import_string(settings.ERROR_RESPONSE)(
        request,
        429,
        title=BLOCKED_TITLE,
        message=BLOCKED_MESSAGE,
        params={"minutes": max(1, -(-seconds // 60))},
        headers={"Retry-After": str(seconds)},
    )
