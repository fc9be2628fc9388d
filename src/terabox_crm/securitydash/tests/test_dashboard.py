"""The security dashboard: who sees it, what it shows, in ja and en (S7)."""

import datetime
import itertools
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from terabox_crm import audit
from terabox_crm.core.roles import Role
from terabox_crm.securitydash import chart, selectors
from terabox_crm.testing.auth import login

URL = reverse("securitydash:dashboard")
pytestmark = pytest.mark.django_db


def get(client, **kwargs):
    return client.get(URL, secure=True, **kwargs)


@pytest.fixture
def storm(cast):
    for _ in range(3):
        audit.record("security.detection.mass_read", workspace=cast.acme, payload={"rows": 6000})
    audit.record("security.login.failed", workspace=cast.acme, payload={"step": "password"})
    # Another workspace's events never show in Acme's dashboard.
    for _ in range(7):
        audit.record("security.detection.denial_burst", workspace=cast.globex, payload={})
    return cast


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_see_the_chart(client, storm, role):
    login(client, getattr(storm, role))
    response = get(client, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<svg" in text and "<rect" in text
    assert "A member read or exported more than 5,000 contacts</a>" in text
    assert "Many refused accesses by one member</a>" not in text  # Globex's


@pytest.mark.parametrize("role", [Role.MANAGER, Role.MEMBER, Role.VIEWER])
def test_other_members_are_refused(client, storm, role):
    login(client, getattr(storm, role))
    assert get(client).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = get(client)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_outsider_sees_their_own_workspace(client, storm):
    login(client, storm.outsider)
    text = get(client, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Many refused accesses by one member</a>" in text
    assert "A member read or exported more than 5,000 contacts</a>" not in text


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["Security dashboard", "Last 7 days: 4 events", "Events by kind", "High"]),
        ("ja", ["セキュリティダッシュボード", "過去7日間：4件", "種類別のイベント", "高"]),
    ],
)
def test_the_page_speaks_the_readers_language(client, storm, language, phrases):
    storm.admin.language = language
    storm.admin.save(update_fields=["language"])
    login(client, storm.admin)
    text = get(client, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for phrase in phrases:
        assert phrase in text


def test_severity_is_said_in_words_not_colour_alone(client, storm):
    """WCAG 1.4.1: each kind's severity is a word in its own column (the high
    one also tinted); the chart's colour swatches sit beside the kind's name."""
    login(client, storm.admin)
    text = get(client, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = text.split("<caption>Events by kind</caption>", 1)[1].split("</tbody>", 1)[0]
    rows = rows.split("<tr>")[2:]  # past the header row
    severities = {
        (
            "High"
            if '<span class="badge badge-danger">High</span>' in row
            else "Normal"
            if "<td>Normal</td>" in row
            else None
        )
        for row in rows
    }
    assert severities == {"High", "Normal"}
    assert all('aria-hidden="true"' in row and "</a>" in row for row in rows)


def test_filter_by_kind(client, storm):
    login(client, storm.admin)
    text = get(
        client, data={"kind": "security.login.failed", "period": "24h"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Last 24 hours: 1 event" in text
    assert "A member read or exported more than 5,000 contacts</a>" not in text


def test_bad_filters_are_refused_and_show_nothing(client, storm):
    login(client, storm.admin)
    response = get(client, data={"period": "forever"})
    assert response.status_code == 400
    assert "security-chart" not in response.content.decode()


def test_an_empty_period_says_so(client, cast):
    login(client, cast.admin)
    text = get(client, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No security events in this period." in text


def test_the_chart_costs_a_fixed_number_of_queries(client, storm, django_assert_max_num_queries):
    for _ in range(50):
        audit.record("security.detection.read_burst", workspace=storm.acme, payload={})
    login(client, storm.admin)
    with django_assert_max_num_queries(12):
        assert get(client).status_code == 200


def test_events_fall_into_their_hour_and_day(cast):
    now = timezone.now()
    audit.record("security.login.failed", workspace=cast.acme, payload={})
    with mock.patch("django.utils.timezone.now", return_value=now - datetime.timedelta(days=2)):
        audit.record("security.login.failed", workspace=cast.acme, payload={})
    week = selectors.chart(workspace=cast.acme, period="7d", moment=now)
    [series] = week.series
    assert series.counts[-1] == 1 and series.counts[-3] == 1 and series.total == 2
    day = selectors.chart(workspace=cast.acme, period="24h", moment=now)
    assert day.series[0].counts[-1] == 1 and day.series[0].total == 1
    assert len(day.buckets) == 24 and len(week.buckets) == 7


def test_the_audit_pages_link_to_the_dashboard(client, cast):
    login(client, cast.admin)
    text = client.get(reverse("audit:security"), secure=True).content.decode()
    assert f'href="{URL}"' in text


def test_the_security_report_counts_detection_events(cast):
    from terabox_crm.core import evidence

    [quiet] = evidence.registered_checks()["detection"]()
    assert quiet.status == evidence.PASS
    audit.record("security.detection.mass_read", workspace=cast.acme, payload={"rows": 6000})
    audit.record("security.detection.address_blocked", payload={"seconds": 900})
    [finding] = evidence.registered_checks()["detection"]()
    assert finding.section == "audit"
    assert finding.status == evidence.WARN
    assert finding.data == {"high": 1, "by_kind": {"address_blocked": 1, "mass_read": 1}}


def test_the_period_shown_is_the_period_charted(client, cast):
    login(client, cast.admin)
    text = get(client, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="7d" selected>' in text


def _month_chart(cast):
    now = timezone.now()
    for days in (0, 3, 12, 29):
        moment = now - datetime.timedelta(days=days)
        with mock.patch("django.utils.timezone.now", return_value=moment):
            audit.record("security.login.failed", workspace=cast.acme, payload={})
    return selectors.chart(workspace=cast.acme, period="30d", moment=now)


def test_the_phone_chart_has_few_short_labels_at_their_own_size(cast):
    """At 390 px the wide chart's labels would shrink to 5 px and run into
    each other (docs/ui.md "Charts"): the phone drawing is as wide as the
    screen and names at most 4 days, the last one always, in short form."""
    month = _month_chart(cast)
    with translation.override("ja"):
        wide = chart.layout(month)
        phone = chart.layout(month, chart.PHONE)
    assert len(wide["x_ticks"]) <= 8 and len(phone["x_ticks"]) <= 4
    assert phone["width"] <= 360  # 12-unit text stays about 12 px on a 390 px phone
    last = timezone.localtime(month.buckets[-1])
    assert phone["x_ticks"][-1].label == f"{last.month}月{last.day}日"
    steps = [b.position - a.position for a, b in itertools.pairwise(phone["x_ticks"])]
    assert max(steps) - min(steps) < 0.5  # evenly spaced
    with translation.override("en"):
        label = chart.layout(month, chart.PHONE)["x_ticks"][-1].label
    assert str(last.year) not in label and str(last.day) in label


@pytest.mark.parametrize(
    ("language", "summary", "kind"),
    [
        ("en", "Show the chart as a table", "Sign-in failed"),
        ("ja", "グラフを表で表示", "ログイン失敗"),
    ],
)
def test_the_chart_is_drawn_for_both_widths_and_said_as_a_table(
    client, storm, language, summary, kind
):
    login(client, storm.admin)
    html = get(client, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "security-chart-wide" in html and "security-chart-narrow" in html
    table = html.split('<details class="chart-table">', 1)[1].split("</details>", 1)[0]
    assert f"<summary>{summary}</summary>" in table
    assert table.count('<th scope="row"') == 7  # one row a day of the week
    assert f"{kind} ×1" in table
