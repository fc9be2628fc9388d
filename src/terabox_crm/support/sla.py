"""The SLA clock of a ticket, as the UI and the API show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from terabox_crm.support.models import DUE_SOON_SHARE, Status, Ticket

STATES = {
    "met": _("Met"),
    "on_track": _("On track"),
    "due_soon": _("Due soon"),
    "breached": _("Breached"),
    "paused": _("Paused"),
}


@dataclass(frozen=True)
class Clock:
    state: str  # met, on_track, due_soon, breached, paused
    due_at: datetime | None
    target: str  # "response" or "resolution"

    @property
    def label(self) -> str:
        return str(STATES[self.state])

    def remaining(self, *, now: datetime | None = None) -> str:
        """The time left in words, as the ticket page shows it: 「残り2時間」
        / "2 hours left", 「3時間超過」 / "3 hours overdue"; empty once the
        deadline was met or while the clock is paused (its label says so)."""
        if self.due_at is None or self.state in ("met", "paused"):
            return ""
        seconds = (self.due_at - (now or timezone.now())).total_seconds()
        return in_words(seconds)


def in_words(seconds: float) -> str:
    """``seconds`` until a deadline (negative: past it) in the largest whole
    unit: minutes under an hour, hours under two days, then days."""
    late, span = seconds < 0, abs(seconds)
    if span < 3600:
        count = max(1, int(span // 60))
        if late:
            return ngettext("%(n)d minute overdue", "%(n)d minutes overdue", count) % {"n": count}
        return ngettext("%(n)d minute left", "%(n)d minutes left", count) % {"n": count}
    if span < 48 * 3600:
        count = int(span // 3600)
        if late:
            return ngettext("%(n)d hour overdue", "%(n)d hours overdue", count) % {"n": count}
        return ngettext("%(n)d hour left", "%(n)d hours left", count) % {"n": count}
    count = int(span // 86400)
    if late:
        return ngettext("%(n)d day overdue", "%(n)d days overdue", count) % {"n": count}
    return ngettext("%(n)d day left", "%(n)d days left", count) % {"n": count}


def _state(start: datetime, due: datetime, done_at: datetime | None, now: datetime) -> str:
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    if now > due:
        return "breached"
    total = (due - start).total_seconds() or 1
    return "due_soon" if (due - now).total_seconds() / total < DUE_SOON_SHARE else "on_track"


def clock(ticket: Ticket, *, now: datetime | None = None) -> Clock:
    """The deadline that matters now: first response until answered, then resolution."""
    now = now or timezone.now()
    if ticket.status == Status.PENDING:
        return Clock("paused", ticket.resolution_due_at, "resolution")
    if ticket.first_responded_at is None and ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return Clock(
            _state(ticket.created_at, ticket.first_response_due_at, None, now),
            ticket.first_response_due_at,
            "response",
        )
    return Clock(
        _state(ticket.created_at, ticket.resolution_due_at, ticket.resolved_at, now),
        ticket.resolution_due_at,
        "resolution",
    )
