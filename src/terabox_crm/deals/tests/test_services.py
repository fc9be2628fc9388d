from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Team
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals import selectors, services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def test_a_new_pipeline_has_ordered_stages_ending_in_won_and_lost(cast, pipeline):
    with scope(workspace=cast.acme):
        kinds = [stage.kind for stage in pipeline.stages.all()]
    assert kinds == ["open", "open", "open", "open", "won", "lost"]


def test_deal_name_is_encrypted_at_rest_and_the_creation_audited(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, name="山田様 追加契約")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM deals_deal")
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and "山田" not in stored
    event = AuditEvent.objects.get(action="deals.deal.created", object_id=str(deal.pk))
    assert "山田" not in str(event.payload)


def test_unknown_currency_is_refused_and_nothing_is_written(cast, pipeline):
    with pytest.raises(Refusal) as refused:
        make_deal(cast.acme, cast.member, pipeline, currency="XYZ")
    assert refused.value.code == "unknown_currency"
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()


@pytest.mark.parametrize("amount", ["-1", "abc", "1.001"])
def test_malformed_amount_is_refused(cast, pipeline, amount):
    with pytest.raises(Refusal) as refused:
        make_deal(cast.acme, cast.member, pipeline, amount=amount)
    assert refused.value.code == "invalid_amount"


def test_an_oversized_name_is_refused(cast, pipeline):
    with pytest.raises(Refusal) as refused:
        make_deal(cast.acme, cast.member, pipeline, name="x" * 201)
    assert refused.value.code == "name_too_long"


def test_a_stage_of_another_pipeline_is_refused_on_move(cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    deal = make_deal(cast.acme, cast.member, pipeline)
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.deal_move(
            membership=cast.member_membership, deal=deal, stage=stage_named(other, "Won")
        )
    assert refused.value.code == "foreign_stage"
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"


def test_a_stage_of_another_workspace_is_refused(cast):
    foreign = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    with pytest.raises(Refusal) as refused, scope(workspace=cast.acme):
        services.deal_create(
            membership=cast.member_membership,
            data=services.DealData(name="x", stage=stage_named(foreign, "Lead")),
        )
    assert refused.value.code == "unknown_stage"


def test_moving_to_won_closes_the_deal_and_is_audited(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, amount=Decimal("1200000"))
    with scope(workspace=cast.acme):
        services.deal_move(
            membership=cast.member_membership, deal=deal, stage=stage_named(pipeline, "Won")
        )
    deal.refresh_from_db()
    assert deal.closed_at is not None
    event = AuditEvent.objects.get(action="deals.deal.stage_changed", object_id=str(deal.pk))
    assert event.payload["to"] == str(deal.stage_id)


def test_dropping_above_a_card_puts_the_deal_before_it(cast, pipeline):
    first = make_deal(cast.acme, cast.member, pipeline, name="First", stage="Proposal")
    second = make_deal(cast.acme, cast.member, pipeline, name="Second", stage="Proposal")
    moving = make_deal(cast.acme, cast.member, pipeline, name="Moving")
    with scope(workspace=cast.acme):
        services.deal_move(
            membership=cast.member_membership,
            deal=moving,
            stage=stage_named(pipeline, "Proposal"),
            before=second,
        )
        column = selectors.board(cast.member_membership, pipeline)[2]
    assert [deal.name for deal in column.deals] == ["First", "Moving", "Second"]
    assert first.pk != second.pk


def test_viewers_cannot_create_deals(cast, pipeline):
    with pytest.raises(Refusal) as refused:
        make_deal(cast.acme, cast.viewer, pipeline)
    assert refused.value.status == 403


def test_members_cannot_edit_a_colleagues_deal_outside_their_team(cast, pipeline):
    deal = make_deal(cast.acme, cast.admin, pipeline)
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.deal_move(
            membership=cast.member_membership, deal=deal, stage=stage_named(pipeline, "Won")
        )
    assert refused.value.status == 403


def test_team_members_edit_each_others_deals(cast, pipeline):
    with scope(workspace=cast.acme):
        team = Team.objects.create(workspace=cast.acme, name="Tokyo")
    for membership in (cast.member_membership, cast.manager_membership):
        membership.team = team
        membership.save(update_fields=["team"])
    deal = make_deal(cast.acme, cast.manager, pipeline)
    assert deal.team_id == team.pk
    with scope(workspace=cast.acme):
        services.deal_move(
            membership=cast.member_membership, deal=deal, stage=stage_named(pipeline, "Won")
        )


def test_team_visibility_hides_other_teams_deals(cast, pipeline):
    cast.acme.record_visibility = "team"
    cast.acme.save(update_fields=["record_visibility"])
    make_deal(cast.acme, cast.admin, pipeline, name="Admin only")
    mine = make_deal(cast.acme, cast.member, pipeline, name="Mine")
    cast.member_membership.workspace.refresh_from_db()
    with scope(workspace=cast.acme):
        assert list(Deal.objects.visible_to(cast.member_membership)) == [mine]
        assert Deal.objects.visible_to(cast.admin_membership).count() == 2


def test_search_matches_whole_tokens_in_either_kana(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, name="ヤマダ 追加契約")
    make_deal(cast.acme, cast.member, pipeline, name="Other deal")
    with scope(workspace=cast.acme):
        assert list(selectors.search(cast.member_membership, "やまだ")) == [deal]
        assert list(selectors.search(cast.member_membership, "追加契約 ヤマダ")) == [deal]
        assert not selectors.search(cast.member_membership, "やま").exists()


def test_deleting_a_deal_forgets_its_search_terms(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline, name="Short lived")
    with scope(workspace=cast.acme):
        services.deal_delete(membership=cast.member_membership, deal=deal)
    assert not SearchTerm.objects.filter(object_id=deal.pk).exists()
