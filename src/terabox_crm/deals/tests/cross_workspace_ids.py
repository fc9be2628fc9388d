"""Foreign ids for the deals app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django_scopes import scope

from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("deal_id")
def foreign_deal(foreign) -> ForeignId:
    pipeline = make_pipeline(foreign.workspace, foreign.owner, name="Foreign pipeline")
    deal = make_deal(foreign.workspace, foreign.owner, pipeline, name="Globex secret merger")
    return ForeignId(deal.pk, identifying=("Globex secret merger", str(deal.pk)))


@param("pipeline_id")
def foreign_pipeline(foreign) -> ForeignId:
    pipeline = make_pipeline(foreign.workspace, foreign.owner, name="Globex hidden pipeline")
    return ForeignId(pipeline.pk, identifying=("Globex hidden pipeline",))


@param("stage_id")
def foreign_stage(foreign) -> ForeignId:
    pipeline = make_pipeline(foreign.workspace, foreign.owner, name="Globex staged pipeline")
    stage = stage_named(pipeline, "Lead")
    with scope(workspace=foreign.workspace):
        stage.name = "Globex hidden stage"
        stage.save(update_fields=["name"])
    return ForeignId(stage.pk, identifying=("Globex hidden stage", str(stage.pk)))
