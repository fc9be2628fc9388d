"""The security report's section "incidents" (S8, S13): every open incident
and its clocks — fail when a clock is overdue, warn when one is due within a
day, pass otherwise (``core.evidence.register_check``, from ``apps.py``).
Ids, numbers and times only: no titles (they may name people)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_scopes import scopes_disabled

from terabox_crm.core import evidence
from terabox_crm.incidents import clocks
from terabox_crm.incidents.models import Incident, Status

LIMIT = 200


def findings(*, workspace_id=None):
    """Every open incident's clocks; ``workspace_id``: that workspace's only (S8)."""
    now = timezone.now()
    with scopes_disabled():
        incidents = Incident.objects.exclude(status=Status.CLOSED)
        if workspace_id is not None:
            incidents = incidents.filter(workspace_id=workspace_id)
        open_incidents = list(incidents.order_by("detected_at")[:LIMIT])
    if not open_incidents:
        yield evidence.Finding(
            check="incidents.open",
            section="incidents",
            status=evidence.PASS,
            title=_("No open incidents"),
            detail=_("No incident is open, so no reporting deadline is running."),
            data={"open": 0},
        )
        return
    for incident in open_incidents:
        found = clocks.clocks(incident, now)
        states = {clock.code: clock.state for clock in found}
        if clocks.OVERDUE in states.values():
            status = evidence.FAIL
        elif clocks.DUE_SOON_STATE in states.values():
            status = evidence.WARN
        else:
            status = evidence.PASS
        yield evidence.Finding(
            check="incidents.clocks",
            section="incidents",
            status=status,
            title=_("Incident #%(number)d (%(status)s)")
            % {"number": incident.number, "status": incident.get_status_display()},
            detail=pgettext("list separator", "; ").join(
                f"{clock.label}: {clock.state_label}" for clock in found if clock.running
            ),
            data={
                "incident": str(incident.pk),
                "workspace": str(incident.workspace_id),
                "number": incident.number,
                "status": incident.status,
                "detected_at": incident.detected_at.isoformat(),
                "clocks": {
                    clock.code: {
                        "state": clock.state,
                        "due_at": clock.due_at.isoformat(),
                        "hours_left": clock.hours_left,
                    }
                    for clock in found
                },
            },
        )
