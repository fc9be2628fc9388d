"""The notifications page, the bell's unread count, and marking read.

Access is by ownership, not by role: every query goes through
``Notification.objects.visible_to(request.user)``, so another user's notification (or
one from a workspace the reader has left) is a 404. There is no
``core.policy`` action because no role ever grants reading someone else's
inbox, and a user without any workspace still has one (account notices).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from terabox_crm.core import htmx
from terabox_crm.notifications import kinds, selectors, services
from terabox_crm.notifications.models import Notification

PAGE_SIZE = 20
CHANGED = "notifications-changed"  # the bell listens for this event


@dataclass(frozen=True)
class Entry:
    """A notification as the reader sees it: text rendered in their language."""

    notification: Notification
    text: str
    url: str | None


def entry(notification: Notification) -> Entry:
    return Entry(notification, kinds.render(notification), kinds.link(notification))


def _list_context(request) -> dict:
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(selectors.latest(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {
        "page_obj": page,
        "entries": [entry(n) for n in page],
        "unread_only": unread_only,
        "unread_count": selectors.unread_count(request.user),
    }


@login_required
@require_safe
def notification_list(request):
    return htmx.render_page_or_partial(
        request,
        "notifications/list.html",
        "notifications/partials/_list.html",
        _list_context(request),
    )


@require_safe
@htmx.passive
def unread_badge(request):
    """The bell, polled every minute. Polling never extends the session."""
    if not request.user.is_authenticated:
        # Signed out or timed out: stop polling (htmx's 286) and leave the
        # page as it is; the next real click goes to the sign-in page.
        response = HttpResponse(status=286)
        response["HX-Reswap"] = "none"
        return response
    return render(
        request,
        "notifications/partials/_bell.html",
        {"count": selectors.unread_count(request.user)},
    )


@login_required
@require_safe
def notification_open(request, notification_id):
    """Follow a notification's link, marking it read on the way."""
    notification = selectors.get_visible(request.user, notification_id)
    services.notification_mark_read(user=request.user, notification=notification)
    return redirect(kinds.link(notification) or "notifications:list")


@login_required
@require_POST
def notification_read(request, notification_id):
    notification = selectors.get_visible(request.user, notification_id)
    services.notification_mark_read(user=request.user, notification=notification)
    if htmx.is_partial(request):
        response = render(
            request, "notifications/partials/_item.html", {"entry": entry(notification)}
        )
        return htmx.trigger(response, CHANGED)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(user=request.user)
    if count:
        message = ngettext(
            "%(count)d notification marked as read.",
            "%(count)d notifications marked as read.",
            count,
        ) % {"count": count}
    else:
        message = _("There were no unread notifications.")
    if htmx.is_partial(request):
        response = render(request, "notifications/partials/_list.html", _list_context(request))
        return htmx.toast(htmx.trigger(response, CHANGED), message)
    messages.success(request, message)
    return redirect("notifications:list")
