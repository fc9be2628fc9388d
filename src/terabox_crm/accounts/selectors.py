"""Reads about accounts: the session list of the security page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from terabox_crm.accounts import tracking
from terabox_crm.accounts.models import UserSession


@dataclass(frozen=True)
class SessionView:
    id: str
    device: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    is_current: bool
    last_seen_ago: str = ""  # "5 minutes ago"; the absolute time goes in a title


def ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in the largest whole unit ("Just now",
    "5 minutes ago", 「3時間前」): a session list is read by when, not by
    the minute (docs/ui.md "Sessions")."""
    seconds = max(((now or timezone.now()) - moment).total_seconds(), 0)
    if seconds < 60:
        return _("Just now")
    if seconds < 3600:
        count = int(seconds // 60)
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", count) % {"n": count}
    if seconds < 48 * 3600:
        count = int(seconds // 3600)
        return ngettext("%(n)d hour ago", "%(n)d hours ago", count) % {"n": count}
    count = int(seconds // 86400)
    return ngettext("%(n)d day ago", "%(n)d days ago", count) % {"n": count}


def live_sessions(user):
    """The user's sessions that can still be used: idle and absolute limits not passed."""
    now = timezone.now()
    alive = Session.objects.filter(expire_date__gt=now).values("session_key")
    return (
        UserSession.objects.filter(
            user=user,
            key_hash__in=alive,
            created_at__gt=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        )
        .select_related("device")
        .order_by("-last_seen_at")
    )


def session_list(user, request) -> list[SessionView]:
    """The user's live sessions, this device's first, then by last activity."""
    current = tracking.current_key_hash(request)
    now = timezone.now()
    found = [
        SessionView(
            id=str(row.pk),
            device=tracking.describe_user_agent(row.user_agent),
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_current=row.key_hash == current,
            last_seen_ago=ago(row.last_seen_at, now),
        )
        for row in live_sessions(user)
    ]
    return sorted(found, key=lambda session: not session.is_current)


def membership_for(user, workspace_id):
    """The user's membership in ``workspace_id``, or in their first workspace.

    Read through the user's ``memberships`` (``core.Membership`` points at the
    user), so accounts, below core, need not import it. A malformed id (a
    tampered session or form) counts as no choice.
    """
    with scopes_disabled():
        memberships = user.memberships.select_related("workspace")
        if workspace_id:
            try:
                found = memberships.filter(workspace_id=workspace_id).first()
            except (ValidationError, ValueError):
                found = None
            if found is not None:
                return found
        return memberships.order_by("created_at").first()
