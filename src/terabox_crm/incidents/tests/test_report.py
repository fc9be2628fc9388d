"""The report draft (S13): the PPC form's fields — what happened, data and
number of people, cause, risk of secondary damage, notification of the
people, measures — as a page and as text, in Japanese and English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from terabox_crm.audit.models import AuditEvent
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

SECTIONS = {
    "ja": [
        "発生の概要",
        "個人データの項目と本人の数",
        "原因",
        "二次被害",
        "本人への対応",
        "再発防止策",
    ],
    "en": [
        "Summary of what happened",
        "Personal data concerned and number of people",
        "Cause",
        "Risk of secondary damage",
        "Notification of the people concerned",
        "Measures taken and to prevent recurrence",
    ],
}


@pytest.fixture
def incident(cast):
    return open_incident(
        cast.acme,
        cast.owner,
        description="An admin's password was phished.",
        cause="Phishing email imitating the sign-in page.",
        secondary_risk="Spam to the customers whose addresses were read.",
        measures="Two-factor authentication required for everyone.",
        data_categories=["identity", "contact"],
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_draft_has_every_field_the_form_asks_for(client, cast, incident, language):
    login(client, cast.admin)
    url = reverse("incidents:report", args=[incident.pk])
    page = client.get(url, {"lang": language}, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    text = page.content.decode()
    for heading in SECTIONS[language]:
        assert heading in text, heading
    assert "Phishing email imitating the sign-in page." in text
    download = client.get(url, {"lang": language, "format": "txt"}, secure=True)
    assert download["Content-Type"].startswith("text/plain")
    assert f"incident-{incident.number}-{language}.txt" in download["Content-Disposition"]
    body = download.content.decode()
    assert all(heading in body for heading in SECTIONS[language])
    assert "Two-factor authentication required for everyone." in body
    assert AuditEvent.objects.filter(action="incidents.report.viewed").count() == 2


def test_only_admins_and_privacy_officers_see_it(client, cast, incident):
    login(client, cast.member)
    assert (
        client.get(reverse("incidents:report", args=[incident.pk]), secure=True).status_code == 403
    )


def test_the_draft_gives_times_in_the_installations_time_zone(client, cast, settings):
    """The same detection time as the incident page (Asia/Tokyo), not UTC."""
    settings.TIME_ZONE = "Asia/Tokyo"
    detected = datetime(2026, 12, 6, 4, 2, tzinfo=UTC)
    item = open_incident(cast.acme, cast.owner, detected_at=detected)
    login(client, cast.admin)
    body = client.get(
        reverse("incidents:report", args=[item.pk]),
        {"lang": "ja", "format": "txt"},
        secure=True,
    ).content.decode()
    assert "13:02" in body and "04:02" not in body


def test_a_period_not_given_is_not_recorded_rather_than_not_carried_out(client, cast, incident):
    """The misuse window's ends, when unknown, read 「未記入」 (not recorded),
    not 「未実施」 (not yet done), which is for notification and publication."""
    login(client, cast.owner)
    url = reverse("incidents:report", args=[incident.pk])
    page = client.get(f"{url}?lang=ja", secure=True).content.decode()
    assert "期間：未記入 ～ 未記入" in page
    assert "通知日時：未実施" in page
