"""The entries the system writes on an incident's timeline are read in the
reader's language, whoever's action wrote them (S13; a team working in
Japanese and English): kept as a kind and its values, made into a sentence
when read, on the page and through the API. A person's entry stays as
written."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from terabox_crm.core.selectors import membership_in
from terabox_crm.incidents import services, timeline
from terabox_crm.incidents.models import TimelineEntry
from terabox_crm.incidents.tests.factories import NOTICE, open_incident
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _entries(incident) -> list[TimelineEntry]:
    with scopes_disabled():
        return list(incident.timeline.order_by("at", "created_at"))


def test_entries_written_in_english_are_read_in_japanese(client, cast):
    incident = open_incident(cast.acme, cast.admin, **NOTICE)
    admin = membership_in(cast.acme, cast.admin)
    with translation.override("en"), scope(workspace=cast.acme):  # the author works in English
        services.incident_update(
            membership=admin,
            incident=incident,
            values={"preliminary_reported_at": "2026-12-02T00:00:00Z"},
        )
        services.notice_publish(membership=admin, incident=incident)
        services.notice_publish(membership=admin, incident=incident, publish=False)
        services.timeline_add(membership=admin, incident=incident, text="Revoked the token.")
    entries = _entries(incident)
    assert [entry.kind for entry in entries] == [
        timeline.REPORT_SUBMITTED,
        timeline.NOTICE_PUBLISHED,
        timeline.NOTICE_WITHDRAWN,
        "",
    ]
    with translation.override("ja"):
        japanese = [entry.shown() for entry in entries]
    with translation.override("en"):
        english = [entry.shown() for entry in entries]
    assert japanese[1:] == [
        "公表文を掲載しました。",
        "公表文を取り下げました。",
        "Revoked the token.",
    ]
    assert japanese[0].endswith("を提出済みにしました。")
    assert english[0].endswith("marked as submitted.") and english[1] == "Public notice published."

    login(client, cast.admin)
    page = client.get(
        reverse("incidents:detail", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="ja", secure=True
    )
    text = page.content.decode()
    assert "公表文を掲載しました。" in text and "Public notice published." not in text
    body = client.get(
        f"/api/v1/incidents/{incident.pk}/timeline/", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    entries_out = body["results"] if isinstance(body, dict) else body
    assert [entry["kind"] for entry in entries_out][1:3] == ["notice_published", "notice_withdrawn"]
    assert entries_out[1]["text"] == "Public notice published."
    assert entries_out[3] == {**entries_out[3], "kind": "", "text": "Revoked the token."}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "from the link in the new-device email. 2 sessions were ended"),
        ("ja", "新しい端末"),
    ],
)
def test_every_kind_reads_in_both_languages(language, words):
    values = {
        timeline.REPORT_SUBMITTED: {"report": "appi_preliminary"},
        timeline.CAMPAIGN_SENT: {"emails": 3, "refused": 1},
        timeline.NOTICE_PUBLISHED: {},
        timeline.NOTICE_WITHDRAWN: {},
        timeline.NOT_ME: {"via": "email", "sessions": 2},
    }
    assert set(values) == set(timeline.KINDS)
    with translation.override(language):
        read = {kind: timeline.sentence(kind, timeline.stored(v)) for kind, v in values.items()}
    assert words in read[timeline.NOT_ME]
    assert all(read.values()) and len(set(read.values())) == len(read)
    if language == "ja":
        assert all(not sentence.isascii() for sentence in read.values())
    with pytest.raises(ValueError):
        timeline.sentence("unknown", "{}")
