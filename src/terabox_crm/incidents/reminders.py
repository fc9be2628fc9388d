"""Reminders of the regulatory clocks (S13), by email to the incident's
handler and the workspace's owners.

The hourly job (``tasks.remind_incident_clocks``) looks at every incident
not closed. A running clock reaches the stage "due soon" 24 hours before its
deadline and "overdue" after it; each stage of each clock is reminded once
(``Incident.reminders``), and all the stages an incident reached in one run
go in one email per person — however many clocks and runs, no storm.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.communications.outbox import queue_email
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.incidents import clocks
from terabox_crm.incidents.models import Incident, Status

EMAIL_KIND = "incidents/email/clock_reminder"
STAGES = {clocks.DUE_SOON_STATE: "due_soon", clocks.OVERDUE: "overdue"}


def recipients(incident) -> list:
    with scopes_disabled():
        owners = [
            membership.user
            for membership in Membership.objects.filter(
                workspace_id=incident.workspace_id, role=Role.OWNER
            ).select_related("user")
        ]
    people = {user.pk: user for user in owners if user.is_active}
    if incident.owner is not None and incident.owner.is_active:
        people.setdefault(incident.owner.pk, incident.owner)
    return list(people.values())


def _due_stages(incident, now) -> list[tuple[clocks.Clock, str]]:
    reached = []
    for clock in clocks.clocks(incident, now):
        stage = STAGES.get(clock.state)
        if stage and stage not in incident.reminders.get(clock.code, []):
            reached.append((clock, stage))
    return reached


def remind(incident_id, now=None) -> int:
    """Email the reminders ``incident_id`` is due; returns how many emails."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        incident = (
            # Only the incident's row: PostgreSQL cannot lock the nullable
            # side of the outer join to its owner.
            Incident.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(pk=incident_id)
            .exclude(status=Status.CLOSED)
            .first()
        )
        if incident is None:
            return 0
        reached = _due_stages(incident, now)
        if not reached:
            return 0
        for clock, stage in reached:
            incident.reminders.setdefault(clock.code, []).append(stage)
        incident.save(update_fields=["reminders"])
        people = recipients(incident)
        url = settings.SITE_URL.rstrip("/") + reverse("incidents:detail", args=[incident.pk])
        for user in people:
            queue_email(
                kind=EMAIL_KIND,
                to=user.email,
                context={
                    "number": incident.number,
                    "clocks": [clock for clock, _stage in reached],
                    "url": url,
                },
                language=user.language or settings.LANGUAGE_CODE,
                subject_id=user.pk,
                workspace_id=incident.workspace_id,
            )
        audit.record(
            "incidents.clock.reminded",
            workspace=incident.workspace_id,
            obj=incident,
            payload={
                "stages": {clock.code: stage for clock, stage in reached},
                "recipients": len(people),
            },
        )
        return len(people)


def remind_all(now=None) -> int:
    """Every open incident's due reminders (the hourly job)."""
    with scopes_disabled():
        ids = list(
            Incident.objects.exclude(status=Status.CLOSED)
            .order_by("detected_at")
            .values_list("pk", flat=True)
        )
    return sum(remind(incident_id, now) for incident_id in ids)
