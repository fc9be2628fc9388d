"""The regulatory clocks (S13): APPI preliminary (3 days by default, up to 5),
APPI final (30 days, 60 when malicious), GDPR 72 hours — shown with the time
left, reminded once per stage by email (no storm), and reported by the
security report's "incidents" section (fail when overdue)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.core import evidence
from terabox_crm.core.selectors import membership_in
from terabox_crm.incidents import checks, clocks, reminders, services
from terabox_crm.incidents.models import Incident
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _states(incident, now=None) -> dict[str, str]:
    return {clock.code: clock.state for clock in clocks.clocks(incident, now)}


def test_the_deadlines(cast):
    detected = timezone.now() - timedelta(hours=1)
    incident = open_incident(cast.acme, cast.owner, detected_at=detected)
    assert incident.preliminary_days == 3
    assert incident.due("appi_preliminary") == detected + timedelta(days=3)
    assert incident.due("appi_final") == detected + timedelta(days=30)
    assert incident.due("gdpr") == detected + timedelta(hours=72)
    malicious = open_incident(
        cast.acme, cast.owner, detected_at=detected, malicious=True, preliminary_days=5
    )
    assert malicious.due("appi_final") == detected + timedelta(days=60)
    assert malicious.due("appi_preliminary") == detected + timedelta(days=5)
    assert set(_states(incident).values()) == {"running"}


def test_the_preliminary_report_is_due_within_one_to_five_days(cast, settings):
    for days in (0, 6):
        with pytest.raises(Refusal) as refused:
            open_incident(cast.acme, cast.owner, preliminary_days=days)
        assert refused.value.code == "invalid_preliminary_days"
    settings.INCIDENT_PRELIMINARY_DAYS = 5
    assert open_incident(cast.acme, cast.owner).preliminary_days == 5
    settings.INCIDENT_PRELIMINARY_DAYS = 9  # clamped: the APPI's practice is 3 to 5 days
    assert open_incident(cast.acme, cast.owner).preliminary_days == 5


def test_states_follow_time_reports_and_applicability(cast):
    detected = timezone.now() - timedelta(hours=60)
    incident = open_incident(cast.acme, cast.owner, detected_at=detected)
    assert _states(incident) == {
        "gdpr": "due_soon",  # 72 hours
        "appi_preliminary": "due_soon",  # 3 days
        "appi_final": "running",
    }
    later = detected + timedelta(days=4)
    assert _states(incident, later)["gdpr"] == "overdue"
    assert _states(incident, later)["appi_preliminary"] == "overdue"
    with scope(workspace=cast.acme):
        services.incident_update(
            membership=membership_in(cast.acme, cast.owner),
            incident=incident,
            values={"gdpr_reported_at": timezone.now(), "appi_applies": False},
        )
    incident.refresh_from_db()
    assert _states(incident, later) == {
        "gdpr": "done",
        "appi_preliminary": "not_applicable",
        "appi_final": "not_applicable",
    }


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["速報", "残り", "残り2日", "data-clock"]),
        ("en", ["preliminary report", "left", "2 days left"]),
    ],
)
def test_the_incident_page_shows_the_time_left(client, cast, language, words):
    # The largest whole unit (the ticket SLA's words), never timeuntil's
    # 「2日, 14時間」 with an English comma in Japanese.
    incident = open_incident(
        cast.acme, cast.owner, detected_at=timezone.now() - timedelta(hours=10)
    )
    login(client, cast.owner)
    page = client.get(
        reverse("incidents:detail", args=[incident.pk]), secure=True, HTTP_ACCEPT_LANGUAGE=language
    )
    text = page.content.decode()
    assert all(word in text for word in words), [w for w in words if w not in text]
    assert 'data-clock="gdpr"' in text
    assert "日, " not in text and "days, " not in text


def test_reminders_go_once_per_stage_to_the_handler_and_the_owners(cast):
    detected = timezone.now() - timedelta(hours=60)  # GDPR and APPI preliminary due in 12 hours
    incident = open_incident(cast.acme, cast.admin, detected_at=detected)
    # Two clocks reach "due soon" at once: one email per person, the handler
    # (admin) and the owner.
    assert reminders.remind_all() == 2
    emails = OutboxEmail.objects.filter(kind="incidents/email/clock_reminder")
    assert emails.count() == 2
    assert reminders.remind_all() == 0  # the same stage: nothing more
    assert reminders.remind_all(now=timezone.now() + timedelta(hours=13)) == 2  # overdue now
    assert reminders.remind_all(now=detected + timedelta(days=6)) == 0
    assert reminders.remind_all(now=detected + timedelta(days=29, hours=12)) == 2  # final report
    assert emails.count() == 6
    incident.refresh_from_db()
    assert incident.reminders == {
        "gdpr": ["due_soon", "overdue"],
        "appi_preliminary": ["due_soon", "overdue"],
        "appi_final": ["due_soon"],
    }
    assert AuditEvent.objects.filter(action="incidents.clock.reminded").count() == 3


def test_closed_incidents_are_not_reminded(cast):
    incident = open_incident(cast.acme, cast.owner, detected_at=timezone.now() - timedelta(days=10))
    with scope(workspace=cast.acme):
        services.incident_update(
            membership=membership_in(cast.acme, cast.owner),
            incident=incident,
            values={"status": "closed"},
        )
    assert reminders.remind_all() == 0


def test_the_security_report_fails_on_an_overdue_clock(cast):
    [quiet] = checks.findings()  # no open incidents: a pass that says so
    assert quiet.status == evidence.PASS and quiet.detail
    open_incident(cast.acme, cast.owner, detected_at=timezone.now() - timedelta(hours=1))
    assert [f.status for f in checks.findings()] == [evidence.PASS]
    late = open_incident(cast.acme, cast.owner, detected_at=timezone.now() - timedelta(days=4))
    open_incident(cast.globex, cast.outsider, detected_at=timezone.now() - timedelta(hours=60))
    statuses = sorted(f.status for f in checks.findings())
    assert statuses == [evidence.FAIL, evidence.PASS, evidence.WARN]
    [failing] = [f for f in checks.findings() if f.status == evidence.FAIL]
    assert failing.section == "incidents"
    assert failing.data["incident"] == str(late.pk)
    assert failing.data["clocks"]["gdpr"]["state"] == "overdue"
    assert "Phished" not in str(failing.title) + str(failing.detail)  # no free text
    # Registered with the report under its name.
    assert "incidents" in evidence.registered_checks()
    with scopes_disabled():
        assert Incident.objects.count() == 3
