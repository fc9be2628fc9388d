"""The incident register as a work list (S13; docs/ui.md "Lists" and
"Incident register"): the shared list anatomy, severity and status as badges
with words, the report deadline due next in words with the exact time in a
title, overdue marked, who handles it, and an empty state with the next
step — in Japanese and English."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.testing.auth import login
from terabox_crm.web.tests.html import parse

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")


def _get(client, language="en", **params):
    response = client.get(LIST, params, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> dict[str, str]:
    """The body rows by incident id."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return {
        found.group(1): found.group(0)
        for found in re.finditer(r'<tr data-incident="([0-9a-f-]{36})".*?</tr>', body, re.S)
    }


@pytest.fixture
def register(cast):
    now = timezone.now()
    soon = open_incident(
        cast.acme,
        cast.owner,
        title="Mail sent to the wrong customer",
        severity="medium",
        detected_at=now - timedelta(days=1, hours=-1),  # preliminary report in 2 days
        preliminary_days=3,
        gdpr_applies=False,
    )
    late = open_incident(
        cast.acme,
        cast.owner,
        title="Phished account",
        severity="critical",
        detected_at=now - timedelta(days=5, hours=1),  # GDPR's 72 hours passed 2 days ago
    )
    closed = open_incident(cast.acme, cast.owner, title="Old laptop", status="closed")
    return {"soon": soon, "late": late, "closed": closed}


@pytest.mark.parametrize(
    ("language", "soon", "late", "overdue", "critical", "investigating"),
    [
        (
            "ja",
            "速報まで残り2日",
            "GDPR報告の期限を2日超過",
            "期限超過",
            "重大",
            "調査中",
        ),
        (
            "en",
            "Preliminary report due in 2 days",
            "GDPR notification 2 days overdue",
            "Overdue",
            "Critical",
            "Investigating",
        ),
    ],
)
def test_each_open_incident_says_what_report_is_due_next(
    client, cast, register, language, soon, late, overdue, critical, investigating
):
    login(client, cast.admin)
    html = _get(client, language)
    rows = _rows(html)
    assert set(rows) == {str(register["soon"].pk), str(register["late"].pk)}  # open ones
    soon_row, late_row = rows[str(register["soon"].pk)], rows[str(register["late"].pk)]
    assert soon in soon_row and overdue not in soon_row
    assert late in late_row
    # Overdue is said in words, not by colour alone, and the row is marked.
    assert re.search(rf'<span class="badge badge-danger">{overdue}</span>', late_row)
    assert 'class="is-overdue"' in late_row
    # The exact due time is in the deadline's title.
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">', late_row)
    # Severity and status are badges with their words.
    assert re.search(
        rf'<span class="badge severity-critical badge-danger">{critical}</span>', late_row
    )
    assert f">{investigating}</span>" in late_row
    # Who handles it.
    assert cast.owner.label in late_row


def test_the_register_uses_the_list_anatomy(client, cast, register):
    login(client, cast.admin)
    page = parse(_get(client))
    tabs = [a.text().strip() for a in page.find("nav", "list-tabs").find_all("a")]
    assert tabs == ["Open", "Handled by me", "Closed", "Every incident"]
    assert page.find("p", "list-count").text().strip() == "2 records"
    assert 'aria-sort="descending"' in _get(client)  # newest detected first


def test_the_closed_view_and_every_incident(client, cast, register):
    login(client, cast.admin)
    assert set(_rows(_get(client, status="closed"))) == {str(register["closed"].pk)}
    assert len(_rows(_get(client, status="all"))) == 3


def test_sorting_by_severity_puts_critical_first(client, cast, register):
    login(client, cast.admin)
    rows = list(_rows(_get(client, sort="severity")))
    assert rows[0] == str(register["late"].pk)


def test_handled_by_me_is_the_members_own(client, cast, register):
    login(client, cast.admin)
    assert _rows(_get(client, mine="1")) == {}


@pytest.mark.parametrize(
    ("language", "words", "button"),
    [
        ("ja", "対応中のインシデントはありません", "新しいインシデント"),
        ("en", "No open incidents", "New incident"),
    ],
)
def test_an_empty_register_says_what_to_do_next(client, cast, language, words, button):
    login(client, cast.admin)
    html = _get(client, language)
    empty = parse(html).find("div", "empty")
    assert empty is not None and "data-empty-state" in empty.attrs
    assert words in empty.text()
    [link] = [a for a in empty.find_all("a") if a.attrs.get("href") == reverse("incidents:create")]
    assert link.text().strip() == button


def test_a_filter_that_matches_nothing_offers_to_clear_it(client, cast, register):
    login(client, cast.admin)
    empty = parse(_get(client, severity="low")).find("div", "empty")
    assert "No incidents match these filters." in empty.text()
    assert any(a.attrs.get("href") == "?" for a in empty.find_all("a"))


@pytest.mark.parametrize(("language", "empty"), [("ja", "状態：対応中"), ("en", "Status: Open")])
def test_the_status_filters_empty_choice_names_what_it_shows(
    client, cast, register, language, empty
):
    """With no status chosen the register shows the incidents not closed, and
    the filter's empty choice says so (not "any", which is another view)."""
    login(client, cast.admin)
    [select] = [
        s
        for s in parse(_get(client, language)).find_all("select")
        if s.attrs.get("name") == "status"
    ]
    first = select.find("option")
    assert first.attrs["value"] == "" and first.text().strip() == empty
