"""The API's only request parser: JSON through ``core.jsonbody`` (S1, S7).

DRF's own ``JSONParser`` lets ``RecursionError`` escape as a 500 and hands
arbitrarily deep documents to the serializers. This one answers problem
details instead, and changes nothing:

* 400 ``…/malformed-json`` — not JSON, not UTF-8, or what I-JSON forbids;
* 400 ``…/too-deep`` — nested deeper than ``core.jsonbody.MAX_DEPTH``; also a
  security event (rate-limited per client address), since no client of this
  API sends such a body by mistake;
* 413 ``…/too-large`` — over ``CRM_MAX_JSON_BYTES`` (1 MiB by default).

Form and multipart parsers are not installed: no API operation takes them, so
such bodies get 415 — except the upload of an import's file
(``imports/api/views.py``), which takes multipart beside this parser.
"""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

from terabox_crm.core import jsonbody


class MalformedJson(exceptions.ParseError):
    default_detail = gettext_lazy("The request body is not valid JSON. Nothing was changed.")
    default_code = "malformed_json"
    problem_type = "malformed-json"


class JsonTooDeep(exceptions.ParseError):
    default_detail = gettext_lazy(
        "The request body is nested more than %(depth)d levels deep. Nothing was changed."
    )
    default_code = "too_deep"
    problem_type = "too-deep"

    def __init__(self):
        super().__init__(str(self.default_detail) % {"depth": jsonbody.MAX_DEPTH})


class JsonTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    problem_type = "too-large"

    def __init__(self):
        super().__init__(
            _("The JSON body is larger than %(limit)s. Nothing was changed.")
            % {"limit": filesizeformat(jsonbody.max_bytes())}
        )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = jsonbody.max_bytes()
        if request is not None and _declared_length(request) > limit:
            raise JsonTooLarge()
        raw = stream.read(limit + 1) if stream is not None else b""
        try:
            return jsonbody.parse(raw, limit=limit)
        except jsonbody.TooLarge:
            raise JsonTooLarge() from None
        except jsonbody.TooDeep:
            self._record_too_deep(parser_context or {})
            raise JsonTooDeep() from None
        except jsonbody.Malformed as exc:
            if exc.line:
                raise MalformedJson(
                    _(
                        "The request body is not valid JSON (line %(line)d, column %(column)d). "
                        "Nothing was changed."
                    )
                    % {"line": exc.line, "column": exc.column}
                ) from None
            raise MalformedJson() from None

    @staticmethod
    def _record_too_deep(parser_context: dict) -> None:
        request = parser_context.get("request")
        match = getattr(request, "resolver_match", None) if request is not None else None
        jsonbody.record_too_deep(
            actor=getattr(request, "user", None),
            workspace=getattr(request, "workspace", None),
            view=match.view_name if match else "",
        )
