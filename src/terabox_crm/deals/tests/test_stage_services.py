"""The rules of pipeline and stage management, enforced by the services."""

import pytest
from django.utils import translation
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.deals import services
from terabox_crm.deals.models import Deal, Pipeline, Stage
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def names(pipeline) -> list[str]:
    with scope(workspace=pipeline.workspace):
        return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def refused(call, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as refusal:
        call(**kwargs)
    return refusal.value


def update(cast, stage, **changes):
    data = services.StageData(name=stage.name, kind=stage.kind, probability=stage.probability)
    for key, value in changes.items():
        setattr(data, key, value)
    with scope(workspace=cast.acme):
        return services.stage_update(membership=cast.admin_membership, stage=stage, data=data)


def test_renaming_a_stage_and_setting_its_probability_is_audited(cast, pipeline):
    stage = update(cast, stage_named(pipeline, "Proposal"), name="Quote sent", probability="60")
    stage.refresh_from_db()
    assert (stage.name, stage.probability) == ("Quote sent", 60)
    event = AuditEvent.objects.get(action="deals.stage.updated", object_id=str(stage.pk))
    assert event.payload["before"] == {"name": "Proposal", "probability": 50}
    assert event.payload["after"] == {"name": "Quote sent", "probability": 60}


def test_an_unchanged_stage_records_nothing(cast, pipeline):
    update(cast, stage_named(pipeline, "Lead"))
    assert not AuditEvent.objects.filter(action="deals.stage.updated").exists()


@pytest.mark.parametrize("name", ["Won", "won", "ＷＯＮ", "  Lead "])
def test_stage_names_are_unique_within_the_pipeline(cast, pipeline, name):
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_add,
            membership=cast.admin_membership,
            pipeline=pipeline,
            data=services.StageData(name=name),
        )
    assert refusal.code == "duplicate_name"
    assert len(names(pipeline)) == 6


def test_the_same_stage_name_is_fine_in_another_pipeline(cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    update(cast, stage_named(pipeline, "Lead"), name="Discovery")
    with scope(workspace=cast.acme):
        services.stage_add(
            membership=cast.admin_membership,
            pipeline=other,
            data=services.StageData(name="Discovery"),
        )
    assert "Discovery" in names(other) and "Discovery" in names(pipeline)


def test_a_stage_keeps_its_own_name_when_only_the_case_changes(cast, pipeline):
    update(cast, stage_named(pipeline, "Lead"), name="LEAD")
    assert names(pipeline)[0] == "LEAD"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "  "}, "name_required"),
        ({"name": "x" * 81}, "name_too_long"),
        ({"kind": "maybe"}, "invalid_kind"),
        ({"probability": "101"}, "invalid_probability"),
        ({"probability": "-1"}, "invalid_probability"),
        ({"probability": "half"}, "invalid_probability"),
        ({"probability": None}, "invalid_probability"),
    ],
)
def test_bad_stage_values_are_refused_and_nothing_changes(cast, pipeline, changes, code):
    stage = stage_named(pipeline, "Lead")
    with pytest.raises(Refusal) as refusal:
        update(cast, stage, **changes)
    assert refusal.value.code == code
    stage.refresh_from_db()
    assert (stage.name, stage.kind, stage.probability) == ("Lead", "open", 10)


def test_the_last_open_stage_cannot_become_won(cast, pipeline):
    with scope(workspace=cast.acme):
        for name in ("Lead", "Qualified", "Proposal"):
            services.stage_delete(
                membership=cast.admin_membership, stage=stage_named(pipeline, name)
            )
    with pytest.raises(Refusal) as refusal:
        update(cast, stage_named(pipeline, "Negotiation"), kind="won")
    assert refusal.value.code == "last_open_stage"
    assert stage_named(pipeline, "Negotiation").kind == "open"


def test_the_last_open_stage_cannot_be_deleted(cast, pipeline):
    with scope(workspace=cast.acme):
        for name in ("Lead", "Qualified", "Proposal"):
            services.stage_delete(
                membership=cast.admin_membership, stage=stage_named(pipeline, name)
            )
        refusal = refused(
            services.stage_delete,
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Negotiation"),
        )
    assert refusal.code == "last_open_stage"
    assert names(pipeline) == ["Negotiation", "Won", "Lost"]


def test_turning_a_stage_won_closes_its_deals_and_open_again_reopens_them(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, stage="Negotiation")
    stage = update(cast, stage_named(pipeline, "Negotiation"), kind="won")
    deal.refresh_from_db()
    assert deal.closed_at is not None
    event = AuditEvent.objects.get(action="deals.stage.updated", object_id=str(stage.pk))
    assert event.payload["deals_closed"] == 1
    update(cast, stage, kind="open")
    deal.refresh_from_db()
    assert deal.closed_at is None


def test_an_open_stage_is_added_after_the_last_open_one_and_audited(cast, pipeline):
    with scope(workspace=cast.acme):
        stage = services.stage_add(
            membership=cast.admin_membership,
            pipeline=pipeline,
            data=services.StageData(name="Contract", probability="90"),
        )
    assert names(pipeline) == [
        "Lead", "Qualified", "Proposal", "Negotiation", "Contract", "Won", "Lost"
    ]  # fmt: skip
    event = AuditEvent.objects.get(action="deals.stage.created", object_id=str(stage.pk))
    assert event.payload["position"] == 5 and event.payload["probability"] == 90


def test_a_closed_stage_is_added_at_the_end(cast, pipeline):
    with scope(workspace=cast.acme):
        services.stage_add(
            membership=cast.admin_membership,
            pipeline=pipeline,
            data=services.StageData(name="No budget", kind="lost", probability=0),
        )
    assert names(pipeline)[-2:] == ["Lost", "No budget"]


def test_a_pipeline_has_at_most_thirty_stages(cast, pipeline):
    with scope(workspace=cast.acme):
        for index in range(services.MAX_STAGES_PER_PIPELINE - 6):
            services.stage_add(
                membership=cast.admin_membership,
                pipeline=pipeline,
                data=services.StageData(name=f"Step {index}"),
            )
        refusal = refused(
            services.stage_add,
            membership=cast.admin_membership,
            pipeline=pipeline,
            data=services.StageData(name="One too many"),
        )
    assert refusal.code == "too_many_stages"


def test_moving_a_stage_up_and_down_swaps_it_with_its_neighbour(cast, pipeline):
    with scope(workspace=cast.acme):
        services.stage_move(
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Proposal"),
            direction="up",
        )
        assert names(pipeline)[:3] == ["Lead", "Proposal", "Qualified"]
        services.stage_move(
            membership=cast.admin_membership, stage=stage_named(pipeline, "Lead"), direction="down"
        )
    assert names(pipeline)[:3] == ["Proposal", "Lead", "Qualified"]
    with scope(workspace=cast.acme):
        positions = list(pipeline.stages.order_by("position").values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5, 6]
    event = AuditEvent.objects.filter(action="deals.stage.moved").latest("seq")
    assert (event.payload["from"], event.payload["to"]) == (1, 2)


def test_moving_the_top_stage_up_changes_nothing(cast, pipeline):
    with scope(workspace=cast.acme):
        services.stage_move(
            membership=cast.admin_membership, stage=stage_named(pipeline, "Lead"), direction="up"
        )
    assert names(pipeline)[0] == "Lead"
    assert not AuditEvent.objects.filter(action="deals.stage.moved").exists()


def test_an_unknown_direction_is_refused(cast, pipeline):
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_move,
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Lead"),
            direction="sideways",
        )
    assert refusal.code == "invalid_direction"


def test_deleting_an_empty_stage_renumbers_the_rest_and_is_audited(cast, pipeline):
    stage = stage_named(pipeline, "Qualified")
    stage_id = stage.pk
    with scope(workspace=cast.acme):
        moved = services.stage_delete(membership=cast.admin_membership, stage=stage)
        positions = list(pipeline.stages.order_by("position").values_list("position", flat=True))
    assert moved == 0
    assert names(pipeline) == ["Lead", "Proposal", "Negotiation", "Won", "Lost"]
    assert positions == [1, 2, 3, 4, 5]
    event = AuditEvent.objects.get(action="deals.stage.deleted", object_id=str(stage_id))
    assert event.payload["name"] == "Qualified" and event.payload["deals_moved"] == 0


def test_a_stage_with_deals_needs_a_target_stage(cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_delete,
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Qualified"),
        )
    assert (refusal.code, refusal.field) == ("target_required", "target")
    assert "Qualified" in names(pipeline)


def test_deleting_a_stage_moves_its_deals_behind_the_targets_cards(cast, pipeline):
    already = make_deal(cast.acme, cast.member, pipeline, name="Already", stage="Proposal")
    moving = make_deal(cast.acme, cast.member, pipeline, name="Moving", stage="Qualified")
    stage = stage_named(pipeline, "Qualified")
    target = stage_named(pipeline, "Proposal")
    stage_id = stage.pk
    with scope(workspace=cast.acme):
        moved = services.stage_delete(
            membership=cast.admin_membership, stage=stage, move_deals_to=target
        )
        order = list(
            Deal.objects.filter(stage=target)
            .order_by("board_position")
            .values_list("pk", flat=True)
        )
    assert moved == 1
    assert order == [already.pk, moving.pk]
    event = AuditEvent.objects.get(action="deals.stage.deleted", object_id=str(stage_id))
    assert event.payload["deals_moved"] == 1 and event.payload["moved_to"] == str(target.pk)


def test_deals_moved_to_a_won_stage_are_closed(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, stage="Negotiation")
    with scope(workspace=cast.acme):
        services.stage_delete(
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Negotiation"),
            move_deals_to=stage_named(pipeline, "Won"),
        )
    deal.refresh_from_db()
    assert deal.closed_at is not None and deal.stage.name == "Won"


def test_a_target_stage_in_another_pipeline_is_refused(cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    deal = make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_delete,
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Qualified"),
            move_deals_to=stage_named(other, "Lead"),
        )
    assert refusal.code == "foreign_stage"
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified"
    assert "Qualified" in names(pipeline)


def test_a_target_stage_in_another_workspace_is_not_found(cast, pipeline):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_delete,
            membership=cast.admin_membership,
            stage=stage_named(pipeline, "Qualified"),
            move_deals_to=stage_named(foreign, "Lead"),
        )
    assert (refusal.code, refusal.status) == ("unknown_stage", 404)


def test_the_stage_itself_is_not_a_target(cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline, stage="Qualified")
    stage = stage_named(pipeline, "Qualified")
    with scope(workspace=cast.acme):
        refusal = refused(
            services.stage_delete,
            membership=cast.admin_membership,
            stage=stage,
            move_deals_to=stage,
        )
    assert refusal.code == "same_stage"


@pytest.mark.parametrize("who", ["manager", "member", "viewer"])
def test_only_owners_and_admins_manage_stages(cast, pipeline, who):
    membership = getattr(cast, f"{who}_membership")
    stage = stage_named(pipeline, "Lead")
    with scope(workspace=cast.acme):
        calls = [
            lambda: services.stage_add(
                membership=membership, pipeline=pipeline, data=services.StageData(name="X")
            ),
            lambda: services.stage_update(
                membership=membership, stage=stage, data=services.StageData(name="Y")
            ),
            lambda: services.stage_move(membership=membership, stage=stage, direction="down"),
            lambda: services.stage_delete(membership=membership, stage=stage),
            lambda: services.pipeline_rename(membership=membership, pipeline=pipeline, name="Z"),
            lambda: services.pipeline_delete(membership=membership, pipeline=pipeline),
        ]
        for call in calls:
            with pytest.raises(Refusal) as refusal:
                call()
            assert refusal.value.status == 403
    assert names(pipeline)[0] == "Lead"


def test_renaming_a_pipeline_is_audited(cast, pipeline):
    with scope(workspace=cast.acme):
        services.pipeline_rename(
            membership=cast.owner_membership, pipeline=pipeline, name="  New logos "
        )
    pipeline.refresh_from_db()
    assert pipeline.name == "New logos"
    event = AuditEvent.objects.get(action="deals.pipeline.renamed")
    assert event.payload == {"from": "New business", "to": "New logos"}


def test_an_empty_pipeline_is_deleted_with_its_stages(cast, pipeline):
    pipeline_id = pipeline.pk
    with scope(workspace=cast.acme):
        services.pipeline_delete(membership=cast.admin_membership, pipeline=pipeline)
        assert not Pipeline.objects.exists() and not Stage.objects.exists()
    event = AuditEvent.objects.get(action="deals.pipeline.deleted")
    assert event.object_id == str(pipeline_id) and event.payload["stages"] == 6


def test_a_pipeline_with_deals_is_not_deleted(cast, pipeline):
    make_deal(cast.acme, cast.member, pipeline)
    with scope(workspace=cast.acme):
        refusal = refused(
            services.pipeline_delete, membership=cast.admin_membership, pipeline=pipeline
        )
        assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert refusal.code == "pipeline_not_empty"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "A pipeline needs at least one open stage."),
        ("ja", "パイプラインには進行中のステージが少なくとも1つ必要です。"),
    ],
)
def test_refusals_speak_the_users_language(cast, pipeline, language, text):
    with scope(workspace=cast.acme):
        for name in ("Lead", "Qualified", "Proposal"):
            services.stage_delete(
                membership=cast.admin_membership, stage=stage_named(pipeline, name)
            )
        with translation.override(language):
            refusal = refused(
                services.stage_delete,
                membership=cast.admin_membership,
                stage=stage_named(pipeline, "Negotiation"),
            )
    assert refusal.message == text
