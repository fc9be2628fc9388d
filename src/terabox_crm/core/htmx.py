"""htmx helpers: the page-or-partial decision in one place, client events and
toasts sent with a response, and background requests that must not count as
user activity."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from django_htmx.http import trigger_client_event

TOAST_LEVELS = frozenset({"success", "info", "warning", "error"})


def is_partial(request) -> bool:
    """True for an htmx request that wants a fragment (a boosted one wants the page)."""
    details = getattr(request, "htmx", None)
    return bool(details) and not details.boosted


def render_page_or_partial(request, page: str, partial: str, context=None, *, status: int = 200):
    """Render ``partial`` for htmx requests and the whole ``page`` otherwise.

    The page template includes the partial, so both share one markup.
    """
    template = partial if is_partial(request) else page
    return render(request, template, context or {}, status=status)


def trigger(response, event: str, detail=None):
    """Fire ``event`` on the element that made the request (bubbles to body)."""
    return trigger_client_event(response, event, detail)


def toast(response, message: str, *, level: str = "success"):
    """Show ``message`` as a toast (app.js listens for the ``toast`` event).

    The header is JSON with non-ASCII escaped, so Japanese text is safe in it.
    """
    if level not in TOAST_LEVELS:
        raise ValueError(f"unknown toast level {level!r}")
    return trigger_client_event(response, "toast", {"level": level, "message": str(message)})


def passive(view):
    """Mark a view as background polling (the notification bell).

    Such a request must not count as user activity: a tab left open must
    still reach the 30-minute idle timeout (S14) although it polls every
    minute. The idle limit is the stored session's expiry, which
    ``accounts.tracking.touch`` has pushed back by saving the session, so for
    this request the session is not saved at all. (Django still re-sends the
    cookie; the browser's copy may outlive the stored session, which is what
    counts: past its expiry the key finds nothing and the user is signed out.)
    """

    def _skip_save(must_create: bool = False) -> None:
        return None

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            session.save = _skip_save
        return response

    return wrapper
