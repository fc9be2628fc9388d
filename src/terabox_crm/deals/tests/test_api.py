import pytest
from django_scopes import scope

from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def test_pipelines_list_their_stages(client, cast, pipeline):
    login(client, cast.viewer)
    body = client.get("/api/v1/pipelines/").json()
    assert [stage["kind"] for stage in body["results"][0]["stages"]][-2:] == ["won", "lost"]


def test_create_read_update_delete_a_deal(client, cast, pipeline):
    login(client, cast.member)
    lead = stage_named(pipeline, "Lead")
    created = client.post(
        "/api/v1/deals/",
        {"name": "API deal", "stage": str(lead.pk), "amount": "5000.00", "currency": "USD"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    assert client.get(f"/api/v1/deals/{deal_id}/").json()["name"] == "API deal"
    won = stage_named(pipeline, "Won")
    patched = client.patch(
        f"/api/v1/deals/{deal_id}/", {"stage": str(won.pk)}, content_type="application/json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["closed_at"] is not None
    assert client.delete(f"/api/v1/deals/{deal_id}/").status_code == 204


def test_unknown_currency_is_a_problem_detail(client, cast, pipeline):
    login(client, cast.member)
    response = client.post(
        "/api/v1/deals/",
        {"name": "x", "stage": str(stage_named(pipeline, "Lead").pk), "currency": "XYZ"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "currency" in response.json()["errors"]
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()


def test_a_stage_from_another_pipeline_is_a_problem_detail(client, cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    deal = make_deal(cast.acme, cast.member, pipeline)
    login(client, cast.member)
    response = client.patch(
        f"/api/v1/deals/{deal.pk}/",
        {"stage": str(stage_named(other, "Won").pk)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Choose a stage of this workspace."), ("ja", None)],
)
def test_another_workspaces_stage_is_refused_like_an_unknown_one_in_the_callers_language(
    client, cast, pipeline, language, message
):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    login(client, cast.member)
    answers = [
        client.post(
            "/api/v1/deals/",
            {"name": "x", "stage": stage, "currency": "JPY"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        for stage in (str(stage_named(foreign, "Lead").pk), "00000000-0000-4000-8000-000000000000")
    ]
    assert [answer.status_code for answer in answers] == [400, 400]
    errors = [answer.json()["errors"]["stage"] for answer in answers]
    assert errors[0] == errors[1]
    if message:
        assert errors[0] == [message]
    else:
        assert errors[0][0] != "Choose a stage of this workspace."  # translated
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()


def test_another_workspaces_deal_is_not_found(client, cast, pipeline):
    foreign_pipeline = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    foreign = make_deal(cast.globex, cast.outsider, foreign_pipeline, name="Globex deal")
    login(client, cast.owner)
    assert client.get(f"/api/v1/deals/{foreign.pk}/").status_code == 404
    listing = client.get("/api/v1/deals/", {"pipeline": str(foreign_pipeline.pk)}).json()
    assert listing["results"] == []


def test_a_malformed_filter_is_a_problem_detail(client, cast, pipeline):
    login(client, cast.member)
    response = client.get("/api/v1/deals/", {"stage": "not-a-uuid"})
    assert response.status_code == 400


def test_viewers_cannot_create_through_the_api(client, cast, pipeline):
    login(client, cast.viewer)
    response = client.post(
        "/api/v1/deals/",
        {"name": "x", "stage": str(stage_named(pipeline, "Lead").pk)},
        content_type="application/json",
    )
    assert response.status_code == 403
