"""The pipelines screen: stage management through plain forms and htmx."""

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.deals.models import Deal, Pipeline, Stage
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def names(pipeline) -> list[str]:
    with scope(workspace=pipeline.workspace):
        return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def edit(stage, **changes) -> dict:
    return {"name": stage.name, "kind": stage.kind, "probability": stage.probability, **changes}


def test_admins_see_the_stage_editor_and_members_only_the_stages(client, cast, pipeline):
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Add a stage" in html and 'name="direction" value="up"' in html
    client.logout()
    login(client, cast.member)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Negotiation" in html and "Add a stage" not in html


def test_the_page_costs_the_same_queries_for_many_pipelines(
    client, cast, django_assert_max_num_queries
):
    for index in range(8):
        make_pipeline(cast.acme, cast.owner, name=f"Pipeline {index}")
    login(client, cast.admin)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("deals:pipelines")).status_code == 200


def test_moving_a_stage_with_a_plain_form_redirects_back(client, cast, pipeline):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Qualified")
    response = client.post(reverse("deals:stage_move", args=[stage.pk]), {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#pipeline-{pipeline.pk}")
    assert names(pipeline)[:2] == ["Qualified", "Lead"]


def test_moving_a_stage_with_htmx_answers_the_card_with_a_toast(client, cast, pipeline):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Lost")
    response = client.post(
        reverse("deals:stage_move", args=[stage.pk]),
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(
        f'<section class="card stack pipeline-card" id="pipeline-{pipeline.pk}"'
    )
    # The stages are an ordered list of badges (docs/ui.md "Settings pages").
    assert html.index(">Lost</span>") < html.index(">Won</span>")
    assert "is now stage 5" in response.headers["HX-Trigger"]


def test_the_board_shows_the_new_stage_order(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, name="Card in lost", stage="Lost")
    login(client, cast.admin)
    lost = stage_named(pipeline, "Lost")
    for _step in range(5):
        client.post(reverse("deals:stage_move", args=[lost.pk]), {"direction": "up"})
    client.post(
        reverse("deals:stage_edit", args=[stage_named(pipeline, "Proposal").pk]),
        edit(stage_named(pipeline, "Proposal"), name="Quote"),
    )
    html = client.get(reverse("deals:board_pipeline", args=[pipeline.pk])).content.decode()
    headings = ["Lost", "Lead", "Qualified", "Quote", "Negotiation", "Won"]
    found = [html.index(f">{name}</h2>") for name in headings]
    assert found == sorted(found)
    assert "Card in lost" in html


def test_saving_a_stage_changes_its_name_kind_and_probability(client, cast, pipeline):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Negotiation")
    response = client.post(
        reverse("deals:stage_edit", args=[stage.pk]),
        {"name": "Verbal yes", "kind": "won", "probability": "95"},
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.kind, stage.probability) == ("Verbal yes", "won", 95)


def test_adding_a_stage_through_the_page(client, cast, pipeline):
    login(client, cast.admin)
    response = client.post(
        reverse("deals:stage_add", args=[pipeline.pk]),
        {"name": "Trial", "kind": "open", "probability": "30"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert names(pipeline)[4] == "Trial"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "This pipeline already has a stage named “Won”."),
        ("ja", "このパイプラインには「Won」という名前のステージがすでにあります。"),
    ],
)
def test_a_duplicate_name_is_shown_beside_the_stage_in_the_users_language(
    client, cast, pipeline, language, text
):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Lead")
    response = client.post(
        reverse("deals:stage_edit", args=[stage.pk]),
        edit(stage, name="Won"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert text in html
    assert f'id="stage-{stage.pk}-error"' in html
    assert 'value="Won"' in html  # what was typed is shown again
    assert names(pipeline)[0] == "Lead"


def test_a_refusal_through_htmx_is_a_422_card_with_an_error_toast(client, cast, pipeline):
    login(client, cast.admin)
    response = client.post(
        reverse("deals:stage_add", args=[pipeline.pk]),
        {"name": "", "kind": "open", "probability": "10"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "Give the stage a name." in response.content.decode()
    assert '"level": "error"' in response.headers["HX-Trigger"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "This stage still holds deals: choose the stage to move them to."),
        ("ja", "このステージにはまだ商談があります。移動先のステージを選んでください。"),
    ],
)
def test_deleting_a_stage_with_deals_asks_for_a_target(client, cast, pipeline, language, text):
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    login(client, cast.admin)
    stage = stage_named(pipeline, "Qualified")
    response = client.post(
        reverse("deals:stage_delete", args=[stage.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert text in response.content.decode()
    assert "Qualified" in names(pipeline)


def test_deleting_a_stage_moves_its_deals_to_the_chosen_stage(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    login(client, cast.admin)
    response = client.post(
        reverse("deals:stage_delete", args=[stage_named(pipeline, "Qualified").pk]),
        {"target": str(stage_named(pipeline, "Proposal").pk)},
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage.name == "Proposal"
    assert "Qualified" not in names(pipeline)


def test_a_target_stage_of_another_pipeline_is_refused_on_the_page(client, cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    login(client, cast.admin)
    response = client.post(
        reverse("deals:stage_delete", args=[stage_named(pipeline, "Qualified").pk]),
        {"target": str(stage_named(other, "Lead").pk)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "That stage belongs to another pipeline." in response.content.decode()
    assert "Qualified" in names(pipeline)


def test_a_target_stage_of_another_workspace_is_not_found(client, cast, pipeline):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    login(client, cast.admin)
    response = client.post(
        reverse("deals:stage_delete", args=[stage_named(pipeline, "Qualified").pk]),
        {"target": str(stage_named(foreign, "Lead").pk)},
    )
    assert response.status_code == 404
    assert "Qualified" in names(pipeline)


def test_renaming_and_deleting_a_pipeline(client, cast, pipeline):
    login(client, cast.admin)
    client.post(reverse("deals:pipeline_rename", args=[pipeline.pk]), {"name": "Enterprise"})
    pipeline.refresh_from_db()
    assert pipeline.name == "Enterprise"
    response = client.post(reverse("deals:pipeline_delete", args=[pipeline.pk]))
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert not Pipeline.objects.exists() and not Stage.objects.exists()
    assert AuditEvent.objects.filter(action="deals.pipeline.deleted").count() == 1


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "This pipeline still holds deals: move or delete them first."),
        ("ja", "このパイプラインにはまだ商談があります。先に移動するか削除してください。"),
    ],
)
def test_a_pipeline_with_deals_is_kept_with_a_message(client, cast, pipeline, language, text):
    make_deal(cast.acme, cast.member, pipeline)
    login(client, cast.admin)
    response = client.post(
        reverse("deals:pipeline_delete", args=[pipeline.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 409
    assert text in response.content.decode()
    with scope(workspace=cast.acme):
        assert Pipeline.objects.filter(pk=pipeline.pk).exists()


@pytest.mark.parametrize("who", ["manager", "member", "viewer"])
def test_only_owners_and_admins_may_change_stages(client, cast, pipeline, who):
    login(client, getattr(cast, who))
    stage = stage_named(pipeline, "Lead")
    posts = [
        (reverse("deals:stage_move", args=[stage.pk]), {"direction": "down"}),
        (reverse("deals:stage_edit", args=[stage.pk]), edit(stage, name="Changed")),
        (reverse("deals:stage_delete", args=[stage.pk]), {}),
        (reverse("deals:stage_add", args=[pipeline.pk]), {"name": "New", "kind": "open"}),
        (reverse("deals:pipeline_rename", args=[pipeline.pk]), {"name": "Renamed"}),
        (reverse("deals:pipeline_delete", args=[pipeline.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert names(pipeline)[0] == "Lead"
    pipeline.refresh_from_db()
    assert pipeline.name == "New business"
    assert AuditEvent.objects.filter(action="security.permission.denied").count() == len(posts)


def test_another_workspaces_stage_and_pipeline_are_not_found(client, cast):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    stage = stage_named(foreign, "Lead")
    login(client, cast.owner)
    posts = [
        (reverse("deals:stage_move", args=[stage.pk]), {"direction": "down"}),
        (reverse("deals:stage_edit", args=[stage.pk]), edit(stage, name="Changed")),
        (reverse("deals:stage_delete", args=[stage.pk]), {}),
        (reverse("deals:stage_add", args=[foreign.pk]), {"name": "New", "kind": "open"}),
        (reverse("deals:pipeline_rename", args=[foreign.pk]), {"name": "Renamed"}),
        (reverse("deals:pipeline_delete", args=[foreign.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert names(foreign)[0] == "Lead"


def test_stage_urls_answer_only_post(client, cast, pipeline):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Lead")
    assert client.get(reverse("deals:stage_move", args=[stage.pk])).status_code == 405


def test_the_api_lists_stages_in_the_new_order(client, cast, pipeline):
    login(client, cast.admin)
    won = stage_named(pipeline, "Won")
    client.post(reverse("deals:stage_move", args=[won.pk]), {"direction": "down"})
    body = client.get("/api/v1/pipelines/").json()
    assert [stage["name"] for stage in body["results"][0]["stages"]][-2:] == ["Lost", "Won"]
    assert [stage["position"] for stage in body["results"][0]["stages"]] == [1, 2, 3, 4, 5, 6]


def test_each_pipeline_has_one_add_a_stage_and_its_stages_act_from_a_menu(client, cast, pipeline):
    """One editor per pipeline (docs/ui.md "Settings pages"): the stages'
    changes sit in each line's ⋯ menu, the delete asks first, and "Add a
    stage" is one button per pipeline that opens its form (?add)."""
    make_pipeline(cast.acme, cast.owner, name="Renewals")
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("stage-add-link") == 2 and 'name="name"' not in html.split("</h1>")[1]
    assert html.count('class="menu-wrap action-menu stage-menu"') == 12
    assert 'data-confirm="Delete the stage “Lead”?"' in html
    assert "btn-danger" not in html  # no red button on every line
    assert ">New pipeline</a>" in html
    stage = stage_named(pipeline, "Lead")
    menu = html[html.index(f'id="stage-{stage.pk}-menu"') :].split("</details>")[0]
    for item in ("Edit", "Move up", "Move down", "Delete stage…"):
        assert item in menu
    assert f'id="stage-{stage.pk}-up" disabled' in menu  # the first stage cannot go up

    html = client.get(
        reverse("deals:pipelines"), {"add": str(pipeline.pk)}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert html.count('class="stage-edit stage-add stack"') == 1
    assert f'id="pipeline-{pipeline.pk}-add-name"' in html
    assert html.count("stage-add-link") == 1  # the other pipeline keeps its button


def test_a_stage_with_deals_is_deleted_from_its_panel_naming_where_they_go(client, cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    stage = stage_named(pipeline, "Qualified")
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f"?delete={stage.pk}#stage-{stage.pk}-target" in html
    html = client.get(
        reverse("deals:pipelines"), {"delete": str(stage.pk)}, HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    panel = html[html.index('class="stage-edit stage-delete stack"') :].split("</form>")[0]
    assert 'data-confirm="ステージ「Qualified」を削除しますか？"' in html
    assert f'id="stage-{stage.pk}-target"' in panel and "キャンセル" in panel


@pytest.mark.parametrize(
    ("language", "button", "create"),
    [("en", "New pipeline", "Create pipeline"), ("ja", "新しいパイプライン", "パイプラインを作成")],
)
def test_new_pipeline_is_the_headers_button_that_opens_its_form(
    client, cast, pipeline, language, button, create
):
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    header = html[html.index('class="page-header"') :].split("</div>\n</div>")[0]
    assert f">{button}</a>" in header and create not in html
    html = client.get(
        reverse("deals:pipelines") + "?new", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert f">{create}</button>" in html and 'id="pipeline-name"' in html


def test_with_no_pipeline_the_new_pipeline_form_is_the_next_step(client, cast):
    login(client, cast.admin)
    html = client.get(reverse("deals:pipelines"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pipeline-name"' in html and ">Cancel</a>" not in html


def test_a_refused_move_is_shown_on_the_stage_line(client, cast, pipeline):
    login(client, cast.admin)
    stage = stage_named(pipeline, "Lead")
    response = client.post(
        reverse("deals:stage_move", args=[stage.pk]),
        {"direction": "sideways"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="stage-{stage.pk}-error"' in html and f'id="stage-{stage.pk}-edit"' not in html
