"""Removing what has ended: expired sessions and their rows, stale email changes.

Nothing here is audit data: the audit trail keeps the sign-ins and sign-outs;
these rows only serve the session list and pending links, and once they can
no longer be used they are deleted outright. Safe to run at any time and
twice; each delete is its own statement.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from terabox_crm.accounts.models import EmailChange, UserSession
from terabox_crm.accounts.tracking import end_session


def purge_ended_sessions() -> int:
    now = timezone.now()
    Session.objects.filter(expire_date__lt=now).delete()
    alive = Session.objects.values("session_key")
    too_old = now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    ended, _detail = UserSession.objects.exclude(key_hash__in=alive).delete()
    old = 0
    for row in UserSession.objects.filter(created_at__lt=too_old):
        end_session(row)
        old += 1
    EmailChange.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return ended + old
