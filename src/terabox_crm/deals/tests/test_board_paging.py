"""The board shows the first cards of each stage and pages the rest on
demand, so a pipeline of any size renders in bounded work."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.deals import selectors
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_PAGE_SIZE", 3)


def _fill(cast, pipeline, count: int, stage: str = "Lead") -> list[Deal]:
    return [
        make_deal(cast.acme, cast.member, pipeline, name=f"Card {index:02d}", stage=stage)
        for index in range(count)
    ]


def _names(html: str, deals: list[Deal]) -> list[str]:
    return [deal.name for deal in deals if f">{deal.name}</a>" in html]


def test_a_column_shows_the_first_page_and_its_true_total(client, cast, pipeline, small_pages):
    deals = _fill(cast, pipeline, 7)
    with scope(workspace=cast.acme):
        lead = selectors.board(cast.member_membership, pipeline)[0]
    assert [deal.name for deal in lead.deals] == ["Card 00", "Card 01", "Card 02"]
    assert lead.total == 7
    assert lead.more
    assert f"after={deals[2].pk}" in lead.more_url


def test_show_more_pages_through_a_column_by_keyset(client, cast, pipeline, small_pages):
    deals = _fill(cast, pipeline, 7)
    login(client, cast.member)
    board = client.get(
        reverse("deals:board_pipeline", args=[pipeline.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert _names(board, deals) == ["Card 00", "Card 01", "Card 02"]
    assert "Show more deals" in board

    lead = stage_named(pipeline, "Lead")
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    page = client.get(
        url,
        {"stage": lead.pk, "after": deals[2].pk},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert _names(html, deals) == ["Card 03", "Card 04", "Card 05"]
    assert f"after={deals[5].pk}" in html

    last = client.get(url, {"stage": lead.pk, "after": deals[5].pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert _names(last.content.decode(), deals) == ["Card 06"]
    assert "Show more deals" not in last.content.decode()


def test_show_more_speaks_japanese(client, cast, pipeline, small_pages):
    _fill(cast, pipeline, 4)
    login(client, cast.member)
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    assert "さらに表示" in client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_show_more_without_javascript_lists_the_stage(client, cast, pipeline, small_pages):
    deals = _fill(cast, pipeline, 4)
    make_deal(cast.acme, cast.member, pipeline, name="Elsewhere", stage="Proposal")
    lead = stage_named(pipeline, "Lead")
    login(client, cast.member)
    html = client.get(reverse("deals:list"), {"stage": lead.pk}).content.decode()
    assert len(_names(html, deals)) == 4
    assert "Elsewhere" not in html


def test_the_board_query_count_does_not_grow_with_cards(
    client, cast, pipeline, django_assert_max_num_queries
):
    _fill(cast, pipeline, 12)
    _fill(cast, pipeline, 12, stage="Proposal")
    login(client, cast.member)
    with django_assert_max_num_queries(21):  # + the column totals, one grouped query
        assert client.get(reverse("deals:board")).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "not-a-uuid", "after": "x"},
        {"after": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_a_bad_show_more_request_is_not_found(client, cast, pipeline, params):
    login(client, cast.member)
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    assert client.get(url, params).status_code == 404


def test_show_more_never_pages_another_pipelines_or_workspaces_cards(client, cast, pipeline):
    mine = make_deal(cast.acme, cast.member, pipeline)
    other = make_pipeline(cast.acme, cast.owner, name="Other")
    foreign_pipeline = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    foreign = make_deal(cast.globex, cast.outsider, foreign_pipeline, name="Globex secret")
    login(client, cast.member)
    lead = stage_named(pipeline, "Lead")
    # A card of this workspace, asked for through another pipeline's board.
    url = reverse("deals:board_pipeline", args=[other.pk])
    assert client.get(url, {"stage": lead.pk, "after": mine.pk}).status_code == 404
    # Another workspace's card and stage.
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    foreign_lead = stage_named(foreign_pipeline, "Lead")
    response = client.get(url, {"stage": foreign_lead.pk, "after": foreign.pk})
    assert response.status_code == 404
    assert "Globex secret" not in response.content.decode()


def test_a_huge_column_is_counted_up_to_a_cap(cast, pipeline, small_pages, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_COUNT_CAP", 5)
    _fill(cast, pipeline, 7)
    _fill(cast, pipeline, 4, stage="Proposal")
    with scope(workspace=cast.acme):
        columns = selectors.board(cast.member_membership, pipeline)
    lead, proposal = columns[0], columns[2]
    assert (lead.total, lead.total_capped) == (5, True)
    assert (proposal.total, proposal.total_capped) == (4, False)
