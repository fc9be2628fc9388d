"""The deal board's columns and cards (SPEC §2; docs/ui.md): totals and
weighted totals per currency, a compact ⋯ menu per card, the close date,
the owner's initials and the days in the stage."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.deals import selectors
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def _column(cast, pipeline, name):
    with scope(workspace=cast.acme):
        from terabox_crm.core.selectors import membership_in

        columns = selectors.board(membership_in(cast.acme, cast.member), pipeline)
    return next(column for column in columns if column.stage.name == name)


def test_columns_total_and_weight_per_currency(cast, pipeline):
    # Proposal's default probability is 50 %; a deal's own probability wins.
    make_deal(cast.acme, cast.member, pipeline, stage="Proposal", amount="1000", currency="JPY")
    make_deal(
        cast.acme,
        cast.member,
        pipeline,
        stage="Proposal",
        amount="3000",
        currency="JPY",
        probability=10,
    )
    make_deal(cast.acme, cast.member, pipeline, stage="Proposal", amount="200", currency="USD")
    make_deal(cast.acme, cast.member, pipeline, stage="Proposal")  # no amount
    column = _column(cast, pipeline, "Proposal")
    assert column.amounts == [
        ("JPY", Decimal("4000.00"), Decimal("800")),
        ("USD", Decimal("200.00"), Decimal("100")),
    ]
    assert _column(cast, pipeline, "Lead").amounts == []


def test_a_card_shows_initials_close_date_and_days_in_stage(client, cast, pipeline):
    deal = make_deal(
        cast.acme,
        cast.member,
        pipeline,
        name="Kanban card",
        amount="1200",
        expected_close_date=timezone.localdate() - timedelta(days=1),
    )
    # Days in stage are calendar days in the workspace's time zone: entered at
    # noon three days ago, whatever the hour the test runs (at 00:30 local,
    # "now less 3 days and an hour" was four calendar days back).
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with scope(workspace=cast.acme):
        Deal.objects.filter(pk=deal.pk).update(stage_entered_at=noon - timedelta(days=3))
    login(client, cast.member)
    html = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 days in stage" in html
    assert "Past due" in html
    assert 'class="avatar avatar-xs"' in html
    ja = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "このステージで3日" in ja and "加重" in ja


def test_a_card_has_one_menu_not_a_select_and_a_button(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, name="Kanban card")
    login(client, cast.member)
    html = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<select" not in html
    assert "card-menu" in html and "Actions for “Kanban card”" in html
    # The card's own stage is not offered; the five others are.
    lead = stage_named(pipeline, "Lead")
    menu = html.split("card-menu", 1)[1].split("</details>", 1)[0]
    assert f'value="{lead.pk}"' not in menu and menu.count('name="stage"') == 5


def test_a_viewer_gets_no_card_menu(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, name="Kanban card")
    login(client, cast.viewer)
    html = client.get(reverse("deals:board")).content.decode()
    assert "Kanban card" in html and "card-menu" not in html


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Taro Yamada", "TY"), ("山田 花子", "山"), ("member@acme.example", "MA"), ("", "?")],
)
def test_initials(label, expected):
    assert selectors.initials(label) == expected


def test_deleting_an_empty_pipeline_sits_in_its_menu(client, cast):
    make_pipeline(cast.acme, cast.owner, name="Renewals")
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    menu = html.split('class="menu-wrap action-menu"', 1)[1].split("</details>", 1)[0]
    assert "Actions for “Renewals”" in menu and "Delete pipeline…" in menu
    assert "data-confirm=" in menu
