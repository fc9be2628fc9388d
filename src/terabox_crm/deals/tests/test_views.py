import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def test_board_shows_a_column_per_stage_with_its_cards(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, name="Kanban card", stage="Proposal")
    login(client, cast.member)
    response = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="board-column board-column-') == 6
    assert "Kanban card" in html
    assert 'draggable="true"' in html


def test_board_costs_the_same_queries_for_many_cards(
    client, cast, pipeline, django_assert_max_num_queries
):
    for index in range(30):
        make_deal(cast.acme, cast.member, pipeline, name=f"Deal {index}", stage="Lead")
    login(client, cast.member)
    with django_assert_max_num_queries(21):  # + the column totals, one grouped query
        assert client.get(reverse("deals:board")).status_code == 200


def test_moving_with_the_keyboard_form_changes_the_stage(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    won = stage_named(pipeline, "Won")
    login(client, cast.member)
    response = client.post(reverse("deals:move", args=[deal.pk]), {"stage": str(won.pk)})
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage == won


def test_moving_with_htmx_answers_the_board_without_a_reload(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    won = stage_named(pipeline, "Won")
    login(client, cast.member)
    response = client.post(
        reverse("deals:move", args=[deal.pk]), {"stage": str(won.pk)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'class="board"' in response.content.decode()
    assert "HX-Trigger" in response.headers


def test_a_stage_of_another_pipeline_is_refused_with_a_message(client, cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    deal = make_deal(cast.acme, cast.member, pipeline)
    login(client, cast.member)
    client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": str(stage_named(other, "Won").pk)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage.name == "Lead"


def test_viewer_cannot_move_a_deal(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    login(client, cast.viewer)
    response = client.post(
        reverse("deals:move", args=[deal.pk]), {"stage": str(stage_named(pipeline, "Won").pk)}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("language", "text"), [("en", "Deal board"), ("ja", "商談ボード")])
def test_board_speaks_both_languages(client, cast, pipeline, language, text):
    login(client, cast.member)
    client.cookies.load({})
    response = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE=language)
    assert text in response.content.decode()


def test_create_form_refuses_an_unknown_currency_in_the_users_language(client, cast, pipeline):
    login(client, cast.member)
    response = client.post(
        reverse("deals:create"),
        {
            "name": "New",
            "stage": str(stage_named(pipeline, "Lead").pk),
            "currency": "XYZ",
            "owner": str(cast.member_membership.pk),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()


def test_create_then_list_then_search(client, cast, pipeline):
    login(client, cast.member)
    response = client.post(
        reverse("deals:create"),
        {
            "name": "鈴木商事 年間契約",
            "stage": str(stage_named(pipeline, "Lead").pk),
            "currency": "JPY",
            "amount": "1200000",
            "owner": str(cast.member_membership.pk),
        },
    )
    assert response.status_code == 302
    listing = client.get(reverse("deals:list"), {"q": "年間契約"}).content.decode()
    assert "鈴木商事 年間契約" in listing


def test_list_pages_with_a_keyset_cursor(client, cast, pipeline):
    for index in range(55):
        make_deal(cast.acme, cast.member, pipeline, name=f"Deal {index:02d}")
    login(client, cast.member)
    first = client.get(reverse("deals:list"))
    cursor = first.context["page"].next_cursor
    assert first.context["page"].has_more and cursor
    assert first.context["next_url"] == f"?cursor={cursor}"
    second = client.get(reverse("deals:list"), {"cursor": cursor})
    names_first = {deal.name for deal in first.context["deals"]}
    names_second = {deal.name for deal in second.context["deals"]}
    assert len(names_first) == 50 and len(names_second) == 5
    assert not names_first & names_second


def test_a_malformed_cursor_starts_again_not_a_crash(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, name="Only deal")
    login(client, cast.member)
    response = client.get(reverse("deals:list"), {"cursor": "garbage"})
    assert response.status_code == 200 and "Only deal" in response.content.decode()


def test_another_workspaces_board_is_not_found_even_without_pipelines_here(client, cast):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    login(client, cast.owner)
    assert client.get(reverse("deals:board_pipeline", args=[foreign.pk])).status_code == 404
