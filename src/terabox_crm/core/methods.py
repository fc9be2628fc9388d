"""Which HTTP methods each URL serves, decided before anything else (S1, S9).

``HttpMethodMiddleware`` runs before sessions, authentication and every
redirect, and answers 405 with an ``Allow`` header when

* the method is none of GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS
  (TRACE, CONNECT, WebDAV verbs, made-up ones) — anywhere, recorded as the
  security event ``security.request.method_refused`` (at most once per client
  address every ``REFUSED_RECORD_EVERY`` seconds, so a flood cannot flood the
  audit chain), or
* the view behind the URL does not serve the method (a page that only reads,
  asked to PUT).

What a view serves is what it declares, read by ``served_methods()``: a
function view by Django's ``require_http_methods`` (``require_safe``,
``require_POST``), a class-based view by the handlers it defines, a DRF
viewset by its routed actions. ``core/tests/test_http_methods.py`` walks every
URL pattern and fails on a view that declares nothing, so a new view cannot
forget. A view that serves GET serves HEAD too, as Django's class-based views
and DRF do.

The 405 is the translated error page, or problem details under ``/api/``
(``settings.ERROR_RESPONSE``, the web surface's); a bare 405 produced further in (a view's own decorator,
WhiteNoise for a static file) is turned into the same page on the way out.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import Resolver404, resolve
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from terabox_crm import audit, context

STANDARD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Outside the URL patterns only static files are served (WhiteNoise: GET, HEAD).
UNROUTED = frozenset({"GET", "HEAD"})
METHOD_REFUSED = "security.request.method_refused"
REFUSED_RECORD_EVERY = 10 * 60  # seconds, per client address
# Methods recorded by name; any other word is recorded as "other", so the
# chained part of the event never holds a string a client made up.
KNOWN_PROBES = frozenset(
    {
        "TRACE",
        "TRACK",
        "CONNECT",
        "DEBUG",
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "SEARCH",
        "REPORT",
        "QUERY",
    }
)


def _declared_by_decorator(view) -> frozenset[str] | None:
    """The list given to ``require_http_methods`` somewhere down the wrapper chain.

    Django keeps it only in the decorator's closure; ``functools.wraps`` leaves
    ``__wrapped__`` on each layer, so the chain can be walked.
    """
    layer = view
    while layer is not None:
        code = getattr(layer, "__code__", None)
        if code is not None and layer.__closure__:
            cells = dict(zip(code.co_freevars, layer.__closure__, strict=True))
            if "request_method_list" in cells:
                return frozenset(
                    method.upper() for method in cells["request_method_list"].cell_contents
                )
        layer = getattr(layer, "__wrapped__", None)
    return None


@functools.cache  # one answer per view function, read on every request
def served_methods(callback) -> frozenset[str] | None:
    """The methods the view behind a URL pattern serves; None when it declares none."""
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        names = view_class.http_method_names
        if actions is not None:  # a DRF viewset: its routed actions, and OPTIONS
            served = {method for method in actions if method in names}
            if "options" in names and hasattr(view_class, "options"):
                served.add("options")
        else:
            served = {method for method in names if hasattr(view_class, method)}
        if "get" in served:
            served.add("head")
        return frozenset(method.upper() for method in served)
    return _declared_by_decorator(callback)


def allowed_for(request: HttpRequest) -> frozenset[str] | None:
    """What the URL of ``request`` serves; None when no URL pattern matches it
    (a static file, a page that does not exist) or its view declares nothing."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return served_methods(match.func)


def allow_header(methods: frozenset[str]) -> str:
    return ", ".join(method for method in STANDARD if method in methods)


def _client_key(request: HttpRequest) -> str:
    # An HMAC of the address, never the address, in the cache (as the sign-in throttle).
    address = context.current().ip or request.META.get("REMOTE_ADDR", "")
    return "security:method-refused:" + salted_hmac("tbx.methods", address).hexdigest()[:32]


def record_refusal(request: HttpRequest) -> None:
    """The security event for a method outside the standard ones, rate-limited."""
    if not cache.add(_client_key(request), 1, REFUSED_RECORD_EVERY):
        return
    method = request.method if request.method in KNOWN_PROBES else "other"
    try:
        # The client address goes into the encrypted detail (audit.chain), not the chain.
        audit.record(METHOD_REFUSED, payload={"method": method})
    except DatabaseError:
        # The refusal stands even when the event cannot be written.
        cache.delete(_client_key(request))


def method_not_allowed(request: HttpRequest, methods: frozenset[str]) -> HttpResponse:
    render_error = import_string(settings.ERROR_RESPONSE)
    return render_error(request, 405, headers={"Allow": allow_header(methods)})


class HttpMethodMiddleware:
    """405 for a method the URL does not serve, before authentication (S1, S9)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = allowed_for(request)
        if request.method not in STANDARD:
            record_refusal(request)
            return method_not_allowed(request, UNROUTED if allowed is None else allowed)
        if allowed is not None and request.method not in allowed:
            return method_not_allowed(request, allowed)
        response = self.get_response(request)
        if _bare_refusal(response):
            declared = frozenset(m.strip() for m in response["Allow"].split(",") if m.strip())
            return method_not_allowed(request, declared)
        return response


def _bare_refusal(response: HttpResponse) -> bool:
    """A 405 without a page: a view's own decorator, or WhiteNoise for a static file."""
    return response.status_code == 405 and (
        isinstance(response, HttpResponseNotAllowed) or getattr(response, "streaming", False)
    )
