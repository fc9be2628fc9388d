"""The shell's own pages: home, the language switch and the top bar's live search.

Error pages (and the CSRF failure page) live in ``errors``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required
from terabox_crm.core.htmx import is_partial
from terabox_crm.deals import selectors as deal_selectors
from terabox_crm.notifications import selectors as notification_selectors
from terabox_crm.notifications.views import entry as notification_entry
from terabox_crm.web import selectors
from terabox_crm.web.errors import csrf_failure  # noqa: F401  (settings.CSRF_FAILURE_VIEW)

RECENT_NOTIFICATIONS = 5


def _safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        return target
    return fallback


@login_required
@require_safe
def home(request):
    """The start page: my tasks, the pipeline, my tickets and recent contacts
    (each only when the member may view that feature, only records it may
    read), or how to get a workspace. A fixed number of queries whatever the
    number of records."""
    membership = request.membership
    context = {
        "two_factor_enabled": selectors.two_factor_enabled(request.user),
        "recent_notifications": [
            notification_entry(n)
            for n in notification_selectors.latest(
                request.user, unread_only=True, limit=RECENT_NOTIFICATIONS
            )
        ],
    }
    if membership is None or not policy.can(membership, "workspace.view"):
        return render(request, "web/home_no_workspace.html", context)
    can = {
        action: policy.can(membership, action)
        for action in (
            "activities.view",
            "activities.change",
            "deals.view",
            "tickets.view",
            "contacts.view",
        )
    }
    context.update(
        {
            "two_factor_required": request.workspace.requires_mfa_for(membership),
            "can_complete_tasks": can["activities.change"],
            "tasks": selectors.home_tasks(membership) if can["activities.view"] else None,
            "pipeline": deal_selectors.pipeline_summary(membership) if can["deals.view"] else None,
            "show_pipeline": can["deals.view"],
            "tickets": selectors.home_tickets(membership) if can["tickets.view"] else None,
            "contacts": selectors.home_contacts(membership) if can["contacts.view"] else None,
            "task_days": selectors.HOME_TASK_DAYS,
        }
    )
    return render(request, "web/home.html", context)


@permission_required("contacts.view")
@require_safe
def search_suggest(request):
    """The dropdown under the top bar's search box (htmx, as the user types).

    The same permission and scoping as the search page it leads to: each
    group only for what the member may see, only rows it may read. Without
    htmx (no script) the search page itself answers.
    """
    query = request.GET.get("q", "")
    search_url = f"{reverse('contacts:search')}?{urlencode({'q': query.strip()[:200]})}"
    if not is_partial(request):
        return redirect(search_url)
    return render(
        request,
        "web/partials/_search_suggestions.html",
        {
            "suggestions": selectors.suggestions(request.membership, query),
            "search_url": search_url,
            "min_length": selectors.SUGGEST_MIN_LENGTH,
        },
    )


@require_POST
def set_language(request):
    """Switch language: kept in a cookie, and on the user when signed in.

    The cookie keeps the choice for the sign-in page after signing out; the
    user's setting makes it follow them to other browsers. Not audited: a
    display preference, not a security setting.
    """
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != language:
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
