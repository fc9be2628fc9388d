"""The language of the API's words (problem ``title`` and ``detail``, S1).

One rule for every request under ``/api/``: the first language of the
request's ``Accept-Language`` that the product speaks (``ja``, ``en``), else
English. Never the token owner's (or the signed-in user's) UI language nor the
language cookie: an integration's error texts must not change because the
person whose token it uses switched their screens to Japanese, and a client
that asks for nothing gets the language API clients expect. Documented in the
API reference (api/schema.py, "Errors") and README.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"
API_DEFAULT_LANGUAGE = "en"


def api_language(accept_language: str) -> str:
    for code, _quality in parse_accept_lang_header(accept_language):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return API_DEFAULT_LANGUAGE


class ApiLanguageMiddleware:
    """After the UI's language middlewares: under /api/ the rule above wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        language = api_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers["Content-Language"] = language
        return response
