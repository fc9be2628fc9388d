"""The SLA clock of a ticket, as the UI and the API show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
