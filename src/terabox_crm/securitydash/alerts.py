"""Alert digests: high-severity detection events email the admins (S7).

A storm must send one digest, not a thousand mails. Per chain (a workspace,
or the system chain for events about the whole installation):

1. Every high-severity event marks the chain *pending*; the first one while
   no digest is scheduled takes the chain's *lock* and schedules
   ``send_digest`` ``DIGEST_DELAY`` seconds later, so the events of a burst
   gather into one mail.
2. ``send_digest`` counts the chain's high-severity events since the last
   digest, by kind, from the audit trail, and queues one email per recipient
   through the outbox (ja/en, the recipient's language). It then keeps the
   lock and checks again ``DIGEST_MINUTES`` later: if the storm goes on, one
   more digest; if not, the lock goes and the next event starts over.

So a storm sends at most one digest per ``DIGEST_MINUTES`` (default 15) per
chain. The lock and marks live in the shared cache (every process sees
them); the job payload is the chain id only; the mail holds kinds, counts
and times — no person's data.

Recipients: a workspace's owners and admins; for the system chain (credential
stuffing, unknown accounts), ``SECURITY_ALERT_EMAILS`` if set, else the
owners of every workspace (the operators of a self-hosted installation).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.chain import SYSTEM_CHAIN
from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.outbox import queue_email
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.detection import kinds

DIGEST_DELAY = 60  # seconds a burst has to gather before its digest
PREFIX = "alerts"
KIND = "securitydash/email/digest"


def digest_seconds() -> int:
    return int(getattr(settings, "SECURITY_ALERT_DIGEST_MINUTES", 15)) * 60


def _chain(workspace_id) -> str:
    return str(workspace_id) if workspace_id else SYSTEM_CHAIN


def on_raised(sender, *, kind, workspace_id=None, **_ignored) -> None:
    """The ``detection.signals.raised`` receiver: schedule a digest when none is."""
    if kind.severity != "high":
        return
    chain = _chain(workspace_id)
    cache.set(f"{PREFIX}:pending:{chain}", 1, 2 * 86400)
    if cache.add(f"{PREFIX}:lock:{chain}", 1, digest_seconds() + DIGEST_DELAY + 120):
        from terabox_crm.securitydash import tasks

        tasks.send_digest.schedule(args=(chain,), delay=DIGEST_DELAY)


def recipients(chain: str) -> list:
    """The users (or addresses) a chain's digest goes to."""
    with scopes_disabled():
        if chain != SYSTEM_CHAIN:
            members = Membership.objects.filter(
                workspace_id=chain, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True
            ).select_related("user")
            return [m.user for m in members]
        if settings.SECURITY_ALERT_EMAILS:
            return list(settings.SECURITY_ALERT_EMAILS)
        owners = Membership.objects.filter(role=Role.OWNER, user__is_active=True).select_related(
            "user"
        )
        unique = {m.user_id: m.user for m in owners}
        return list(unique.values())


def high_counts(chain: str, since, until) -> list[tuple[str, int]]:
    """``(action, count)`` of the chain's high-severity events in ``(since, until]``."""
    rows = (
        AuditEvent.objects.filter(
            chain=chain, action__in=kinds.HIGH, created_at__gt=since, created_at__lte=until
        )
        .values("action")
        .annotate(n=Count("seq"))
        .order_by("action")
    )
    return [(row["action"], row["n"]) for row in rows]


def send_digest(chain: str) -> int:
    """Send the chain's digest if events are pending; returns the emails queued."""
    pending_key = f"{PREFIX}:pending:{chain}"
    lock_key = f"{PREFIX}:lock:{chain}"
    if not cache.get(pending_key):
        cache.delete(lock_key)  # the storm is over: the next event starts a new digest
        return 0
    cache.delete(pending_key)
    until = timezone.now()
    since = cache.get(f"{PREFIX}:sent:{chain}") or until - datetime.timedelta(days=1)
    counts = high_counts(chain, since, until)
    cache.set(f"{PREFIX}:sent:{chain}", until, 30 * 86400)
    sent = 0
    if counts:
        sent = _mail(chain, counts, since, until)
    # Hold the lock and look again one digest period later.
    cache.set(lock_key, 1, digest_seconds() + DIGEST_DELAY + 120)
    from terabox_crm.securitydash import tasks

    tasks.send_digest.schedule(args=(chain,), delay=digest_seconds())
    return sent


def _mail(chain: str, counts, since, until) -> int:
    rows = [(kinds.BY_ACTION[action].label, n) for action, n in counts]
    context = {
        "rows": rows,
        "total": sum(n for _action, n in counts),
        "since": since,
        "until": until,
        "dashboard_url": settings.SITE_URL.rstrip("/") + reverse("securitydash:dashboard"),
        "whole_installation": chain == SYSTEM_CHAIN,
        "digest_minutes": digest_seconds() // 60,
    }
    workspace_id = None if chain == SYSTEM_CHAIN else chain
    sent = 0
    for recipient in recipients(chain):
        if isinstance(recipient, str):
            queue_email(kind=KIND, to=recipient, context=context, workspace_id=workspace_id)
        else:
            queue_email(
                kind=KIND,
                to=recipient.email,
                context=context,
                language=recipient.language or settings.LANGUAGE_CODE,
                subject_id=recipient.pk,
                workspace_id=workspace_id,
            )
        sent += 1
    return sent
