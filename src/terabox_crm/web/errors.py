"""Error pages in the user's language, and problem details under /api/.

They never show a traceback, SQL or a path (S1); the request id lets an
operator find the server-side log line. Each status has one entry in
``_ERRORS`` (problem type, title, explanation), used by the page and by the
API body alike.

The 500 page is special: whatever broke may be the database, the session or a
context processor, so it is rendered from a self-contained template with a
plain context — no request context processors, no user, no query. The other
pages use the full shell (navigation and all) and fall back to that same
self-contained template if rendering the shell fails too.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://terabox-crm.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# status: (problem type, page title, explanation). Lazy: translated per request.
_ERRORS = {
    400: (
        "bad-request",
        gettext_lazy("Bad request"),
        gettext_lazy("The request could not be understood. Nothing was changed."),
    ),
    403: (
        "forbidden",
        gettext_lazy("Not allowed"),
        gettext_lazy(
            "You do not have permission to do this. Ask an admin of your workspace if you need it."
        ),
    ),
    404: (
        "not-found",
        gettext_lazy("Page not found"),
        gettext_lazy(
            "There is nothing here, or it is not yours to see. Check the address, or start again from the home page."
        ),
    ),
    405: (
        "method-not-allowed",
        gettext_lazy("Not possible here"),
        gettext_lazy("This address does not accept that kind of request. Nothing was changed."),
    ),
    413: (
        "too-large",
        gettext_lazy("Too large"),
        gettext_lazy("What you sent is too large (the limit is %(limit)s). Nothing was changed."),
    ),
    429: (
        "throttled",
        gettext_lazy("Too many attempts"),
        gettext_lazy("Too many attempts in a short time. Wait a moment and try again."),
    ),
    500: (
        "server-error",
        gettext_lazy("Something went wrong"),
        gettext_lazy(
            "Something went wrong on our side and nothing was saved. It has been logged; please try again in a moment."
        ),
    ),
}
CSRF_TITLE = gettext_lazy("Form expired")
CSRF_MESSAGE = gettext_lazy(
    "This form has expired or was sent from another site. Go back, reload the page and try again."
)


def wants_problem(request) -> bool:
    """API clients get RFC 9457 problem details instead of a page."""
    return request.path.startswith("/api/")


def _language(request) -> str:
    # Never touches request.user: on the way to an error page the database
    # may be the thing that failed.
    code = getattr(request, "LANGUAGE_CODE", None)
    if code:
        return code
    try:
        return translation.get_language_from_request(request)
    except Exception:
        return translation.get_language() or "ja"


def _problem(request, status: int, type_name: str, title: str, detail: str, headers=None):
    body = {
        "type": PROBLEM_TYPE_BASE + type_name,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": getattr(request, "request_id", ""),
    }
    response = JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _standalone(request, status: int, title: str, message: str) -> HttpResponse:
    """The self-contained error page: a plain Context, no context processors."""
    template = loader.get_template("errors/standalone.html")
    html = template.render(
        {
            "status": status,
            "title": title,
            "message": message,
            "request_id": getattr(request, "request_id", ""),
            "LANGUAGE_CODE": translation.get_language(),
        }
    )
    return HttpResponse(html, status=status)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_error(
    request,
    status: int,
    *,
    title: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict | None = None,
) -> HttpResponse:
    """The error answer for ``status``: a page, or problem details on the API.

    Other apps use this for statuses they decide themselves (429 with
    ``headers={"Retry-After": "60"}``, for example).
    """
    type_name, default_title, default_message = _ERRORS.get(status, _ERRORS[400])
    with translation.override(_language(request)):
        title = str(title or default_title)
        message = str(message or default_message)
        if params:
            message = message % params
        if wants_problem(request):
            return _problem(request, status, type_name, title, message, headers)
        try:
            html = loader.render_to_string(
                "errors/error.html",
                {
                    "status": status,
                    "title": title,
                    "message": message,
                    "request_id": getattr(request, "request_id", ""),
                },
                request=request,
            )
            response = HttpResponse(html, status=status)
        except Exception:
            log.exception("error page %s could not be rendered with the shell", status)
            response = _standalone(request, status, title, message)
    for name, value in (headers or {}).items():
        response[name] = value
    if _is_htmx(request):
        # htmx does not swap error responses; app.js shows this as a toast.
        response["HX-Trigger"] = json.dumps({"toast": {"level": "error", "message": message}})
    return response


def bad_request(request, exception=None):
    return render_error(request, 400)


# Refusals whose own words the 403 page shows: they name a state of the
# record, not what the reader may or may not see (a restricted person's
# timeline, 利用停止, P7); every other refusal keeps the page's one answer.
EXPLAINED_REFUSALS = frozenset({"restricted"})


def permission_denied(request, exception=None):
    cause = getattr(exception, "__cause__", None)
    if getattr(cause, "code", None) in EXPLAINED_REFUSALS:
        return render_error(request, 403, message=cause.message)
    return render_error(request, 403)


def page_not_found(request, exception=None):
    return render_error(request, 404)


def request_too_large(request):
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    with translation.override(_language(request)):
        limit = str(filesizeformat(settings.MAX_REQUEST_BODY_BYTES))
    return render_error(request, 413, params={"limit": limit})


def too_many_requests(request, *, retry_after: int):
    return render_error(request, 429, headers={"Retry-After": str(int(retry_after))})


def csrf_failure(request, reason=""):
    """A form posted with a missing or stale CSRF token (CSRF_FAILURE_VIEW)."""
    return render_error(request, 403, title=CSRF_TITLE, message=CSRF_MESSAGE)


def server_error(request):
    """handler500: must work with the database down and context processors broken."""
    type_name, title, message = _ERRORS[500]
    with translation.override(_language(request)):
        if wants_problem(request):
            return _problem(request, 500, type_name, str(title), str(message))
        response = _standalone(request, 500, str(title), str(message))
    if _is_htmx(request):
        with translation.override(_language(request)):
            response["HX-Trigger"] = json.dumps(
                {"toast": {"level": "error", "message": str(message)}}
            )
    return response
