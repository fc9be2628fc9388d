"""RFC 9457 problem details for every API error.

Each error has a stable ``type`` URI under ``https://terabox-crm.dev/problems/``
(documentation, not fetched), a translated ``title`` and ``detail``, the
``status``, and for validation errors an ``errors`` map of field → messages.
Nothing else leaves: no traceback, no SQL, no other workspace's data.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from terabox_crm.refusals import Refusal

TYPE_BASE = "https://terabox-crm.dev/problems/"
CONTENT_TYPE = "application/problem+json"


# By status; an APIException may name its own type with ``problem_type``.
_TYPES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "too-large",
    415: "unsupported-media-type",
    429: "throttled",
}


def problem(status_code: int, type_name: str, title: str, detail: str = "", **extra) -> dict:
    body = {"type": TYPE_BASE + type_name, "title": title, "status": status_code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem_response(
    status_code: int, type_name: str, title: str, detail: str = "", headers=None, **extra
):
    return Response(
        problem(status_code, type_name, title, detail, **extra),
        status=status_code,
        headers=headers,
        content_type=CONTENT_TYPE,
    )


def _flatten(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [
            str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail
        ]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, Refusal):
        exc = refusal_as_api_error(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handler answers with a bare problem
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status.HTTP_400_BAD_REQUEST,
            "validation",
            _("The request is not valid."),
            _("Some fields have errors; nothing was changed."),
            errors=_flatten(exc.detail),
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # Session auth has no WWW-Authenticate scheme, so DRF answers 403; the
        # type still tells a client to sign in rather than ask for a role.
        type_name = "unauthenticated"
    else:
        type_name = getattr(exc, "problem_type", None) or _TYPES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem_response(exc.status_code, type_name, str(detail), headers=headers or None)


class StateProblem(exceptions.APIException):
    """A refusal because of the record's state rather than the request's
    content: 409 (lifted already, held already, an erased person) or 410
    (a once-only thing used or expired). Its ``type`` is the refusal's code
    (``already_lifted`` → ``…/problems/already-lifted``), so a client can
    tell the cases apart; the operation's schema says it answers the status
    (``api.schema.answers``)."""

    def __init__(self, error: Refusal):
        super().__init__(error.text)
        self.status_code = error.status
        self.problem_type = error.code.replace("_", "-")


def refusal_as_api_error(error: Refusal) -> exceptions.APIException:
    """A ``refusals.Refusal`` as the DRF error that becomes its problem
    details: 403 forbidden, 404 not found (when no field is named), 409 and
    410 as the state they name, otherwise a validation error on the named
    field. A refusal an API view lets through is answered so by
    ``exception_handler``; its guard has already recorded it."""
    if error.status == 403:
        return exceptions.PermissionDenied(error.text)
    if error.status == 404 and not error.field:
        return exceptions.NotFound()
    if error.status in (409, 410) and error.code:
        return StateProblem(error)
    return exceptions.ValidationError({error.field or "non_field_errors": [error.text]})
