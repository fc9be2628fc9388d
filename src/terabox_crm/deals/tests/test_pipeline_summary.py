"""The home page's pipeline summary: open stages of the first pipeline, with
the number and amounts per currency of the deals the member may see."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope

from terabox_crm.deals import selectors
from terabox_crm.deals.tests.factories import make_deal, make_pipeline


def _by_name(summary):
    return {row.stage.name: row for row in summary.stages}


def test_counts_and_totals_per_open_stage_and_currency(cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    make_pipeline(cast.acme, cast.owner, name="Second")
    make_deal(cast.acme, cast.member, pipeline, amount="100", stage="Lead")
    make_deal(cast.acme, cast.member, pipeline, amount="50.5", stage="Lead")
    make_deal(cast.acme, cast.member, pipeline, amount="7", currency="USD", stage="Lead")
    make_deal(cast.acme, cast.member, pipeline, stage="Proposal")  # no amount
    make_deal(cast.acme, cast.member, pipeline, amount="999", stage="Won")
    with scope(workspace=cast.acme):
        summary = selectors.pipeline_summary(cast.owner_membership)
    assert summary.pipeline == pipeline
    stages = _by_name(summary)
    assert list(stages) == ["Lead", "Qualified", "Proposal", "Negotiation"]  # open only
    assert stages["Lead"].count == 3
    assert stages["Lead"].totals == [("JPY", Decimal("150.50")), ("USD", Decimal("7.00"))]
    assert (stages["Proposal"].count, stages["Proposal"].totals) == (1, [])
    assert stages["Qualified"].count == 0


def test_only_deals_the_member_may_see_are_counted(cast):
    cast.acme.record_visibility = "team"
    cast.acme.save(update_fields=["record_visibility"])
    pipeline = make_pipeline(cast.acme, cast.owner)
    make_deal(cast.acme, cast.member, pipeline, amount="10")
    make_deal(cast.acme, cast.owner, pipeline, amount="20")
    with scope(workspace=cast.acme):
        mine = _by_name(selectors.pipeline_summary(cast.member_membership))["Lead"]
        everything = _by_name(selectors.pipeline_summary(cast.admin_membership))["Lead"]
    assert (mine.count, mine.totals) == (1, [("JPY", Decimal("10.00"))])
    assert everything.count == 2


def test_counts_are_capped_like_the_board(cast, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_COUNT_CAP", 2)
    pipeline = make_pipeline(cast.acme, cast.owner)
    for _ in range(4):
        make_deal(cast.acme, cast.member, pipeline, amount="1")
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    with scope(workspace=cast.acme):
        stages = _by_name(selectors.pipeline_summary(cast.member_membership))
    assert (stages["Lead"].count, stages["Lead"].count_capped) == (2, True)
    assert stages["Lead"].totals == []  # a sum over the first deals only would be wrong
    assert (stages["Qualified"].count, stages["Qualified"].count_capped) == (1, False)


def test_no_pipeline_no_summary(cast, django_assert_max_num_queries):
    with scope(workspace=cast.acme), django_assert_max_num_queries(1):
        assert selectors.pipeline_summary(cast.member_membership) is None


@pytest.mark.parametrize("deals", [1, 6])
def test_two_queries_whatever_the_number_of_deals(cast, deals, django_assert_num_queries):
    pipeline = make_pipeline(cast.acme, cast.owner)
    for _ in range(deals):
        make_deal(cast.acme, cast.member, pipeline, amount="1")
    with scope(workspace=cast.acme), django_assert_num_queries(3):
        # the pipeline, its stages (prefetched) and the grouped deal query
        selectors.pipeline_summary(cast.member_membership)
