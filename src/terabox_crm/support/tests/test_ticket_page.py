"""A ticket's page as a work queue (SPEC §2; docs/ui.md): properties and
the SLA in a side column, time left in words, urgent and high priority
marked in words and signs as well as colour, internal notes unlike replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope

from terabox_crm.core.selectors import membership_in
from terabox_crm.support import services, sla
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


@pytest.mark.parametrize(
    ("seconds", "en", "ja"),
    [
        (2 * 3600 + 59, "2 hours left", "残り2時間"),
        (1 * 3600, "1 hour left", "残り1時間"),
        (25 * 60, "25 minutes left", "残り25分"),
        (20, "1 minute left", "残り1分"),
        (3 * 86400 + 5, "3 days left", "残り3日"),
        (-3 * 3600, "3 hours overdue", "3時間超過"),
        (-86400 * 5, "5 days overdue", "5日超過"),
    ],
)
def test_time_left_in_words(seconds, en, ja):
    with translation.override("en"):
        assert sla.in_words(seconds) == en
    with translation.override("ja"):
        assert sla.in_words(seconds) == ja


def test_a_met_or_paused_clock_says_no_time_left():
    now = timezone.now()
    assert sla.Clock("met", now, "response").remaining(now=now) == ""
    assert sla.Clock("paused", now, "resolution").remaining(now=now) == ""
    with translation.override("en"):
        late = sla.Clock("breached", now - timedelta(hours=2), "response")
        assert late.remaining(now=now) == "2 hours overdue"


@pytest.mark.parametrize(
    ("language", "left", "urgent", "note"),
    [
        ("en", "hours left", "Urgent", "Internal note"),
        ("ja", "残り", "緊急", "社内メモ"),
    ],
)
def test_the_page_shows_time_left_priority_and_notes_apart(
    client, cast, language, left, urgent, note
):
    ticket = open_ticket(cast.acme, cast.member, priority="urgent")
    with scope(workspace=cast.acme):
        membership = membership_in(cast.acme, cast.member)
        fresh = Ticket.objects.get(pk=ticket.pk)
        services.ticket_reply(membership=membership, ticket=fresh, body="Replied", internal=False)
        services.ticket_reply(membership=membership, ticket=fresh, body="Psst", internal=True)
    login(client, cast.member)
    html = client.get(
        reverse("support:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert left in html.split('class="sla-remaining"', 1)[1].split("</p>", 1)[0]
    badge = html.split("priority-urgent", 1)[1].split("</span></span>", 1)[0] + "</span>"
    assert "badge-danger" in html.split("priority-urgent", 1)[1][:40]
    assert "‼" in badge and urgent in html.split("priority-urgent", 1)[1][:400]
    assert html.count("message-internal") == 1 and html.count("message-reply") == 1
    internal = html.split("message-internal", 1)[1].split("</article>", 1)[0]
    assert note in internal and "Psst" in internal
    # Properties live in the side column, the thread in the main one.
    side, main = html.split('class="record-main', 1)
    assert "properties-title" in side and "requester-title" in side
    assert "thread-title" in main


def test_a_viewer_reads_the_properties_without_a_form(client, cast):
    ticket = open_ticket(cast.acme, cast.member, priority="high")
    login(client, cast.viewer)
    html = client.get(
        reverse("support:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'action="' + reverse("support:change", args=[ticket.pk]) not in html
    assert "priority-high badge-warn" in html and "High" in html


@pytest.mark.parametrize(
    ("language", "save", "unassigned", "labels"),
    [
        ("en", "Save", "Unassigned", ("Status", "Priority", "Assignee")),
        ("ja", "保存", "未割り当て", ("状態", "優先度", "担当者")),
    ],
)
def test_the_properties_are_one_compact_form_with_one_save(
    client, cast, language, save, unassigned, labels
):
    """The sidebar's properties (docs/ui.md "Ticket properties"): one form, a
    labelled control per property, one Save — no button per property, no
    ``---------`` choice; it works as a plain POST."""
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    url = reverse("support:ticket", args=[ticket.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    form = html.split('class="ticket-properties"', 1)[1].split("</form>", 1)[0]
    assert form.count('type="submit"') == 1 and f">{save}<" in form
    assert html.count('class="ticket-properties"') == 1
    assert "---------" not in form and f">{unassigned}</option>" in form
    for name, label in zip(("status", "priority", "assignee"), labels, strict=True):
        assert f'<label for="id_{name}">{label}</label>' in form
        assert f'<select name="{name}"' in form
    response = client.post(
        reverse("support:change", args=[ticket.pk]),
        {"status": "pending", "priority": "high", "assignee": ""},
    )
    assert response.status_code == 302 and response["Location"] == url
    with scope(workspace=cast.acme):
        fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.priority, fresh.assignee_id) == ("pending", "high", None)
