"""The shell's own pages: home, language and workspace switching, CSRF failures."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terabox_crm.web.errors import _page


def _safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        return target
    return fallback


@login_required
def home(request):
    return render(request, "web/home.html")


@require_POST
def set_language(request):
    """Switch language: saved on the user when signed in, else in a cookie."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if not check_for_language(language) or language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path="/",
        secure=True,
        httponly=True,
        samesite="Lax",
    )
    return response


def csrf_failure(request, reason=""):
    return _page(
        request,
        403,
        _("Form expired"),
        _(
            "This form has expired or was sent from elsewhere. Go back, reload the page and try again."
        ),
    )
