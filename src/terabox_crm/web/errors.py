"""Error pages in the user's language, and problem details under /api/.

They never show a traceback, SQL or a path (S1); the request id lets an
operator find the server-side log line.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _wants_problem(request) -> bool:
    return request.path.startswith("/api/")


def _problem(request, status: int, type_name: str, title: str):
    body = {
        "type": f"https://terabox-crm.dev/problems/{type_name}",
        "title": title,
        "status": status,
        "instance": getattr(request, "request_id", ""),
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _page(request, status: int, title: str, message: str):
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title,
            "message": message,
            "request_id": getattr(request, "request_id", ""),
        },
        status=status,
    )


def bad_request(request, exception=None):
    if _wants_problem(request):
        return _problem(request, 400, "bad-request", _("The request could not be understood."))
    return _page(
        request,
        400,
        _("Bad request"),
        _("The request could not be understood. Nothing was changed."),
    )


def permission_denied(request, exception=None):
    if _wants_problem(request):
        return _problem(request, 403, "forbidden", _("You do not have permission to do this."))
    return _page(
        request,
        403,
        _("Not allowed"),
        _("You do not have permission to do this. Ask an admin of your workspace if you need it."),
    )


def page_not_found(request, exception=None):
    if _wants_problem(request):
        return _problem(request, 404, "not-found", _("Not found."))
    return _page(
        request, 404, _("Page not found"), _("There is nothing here, or it is not yours to see.")
    )


def server_error(request):
    if _wants_problem(request):
        return _problem(request, 500, "server-error", _("Something went wrong on our side."))
    return _page(
        request,
        500,
        _("Something went wrong"),
        _("Something went wrong on our side. It has been logged; please try again."),
    )


def request_too_large(request):
    if _wants_problem(request):
        return _problem(request, 413, "too-large", _("The request body is too large."))
    return _page(
        request,
        413,
        _("Too large"),
        _("What you sent is too large (the limit is 10 MB). Nothing was changed."),
    )
