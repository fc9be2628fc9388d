"""Pipelines and deals for tests, made through the real services."""

from __future__ import annotations

from django.utils import translation
from django_scopes import scope

from terabox_crm.core.selectors import membership_in
from terabox_crm.deals import services
from terabox_crm.deals.models import Stage


def make_pipeline(workspace, actor, name: str = "New business"):
    # Default stage names follow the creator's language; tests name them in English.
    with scope(workspace=workspace), translation.override("en"):
        return services.pipeline_create(membership=membership_in(workspace, actor), name=name)


def stage_named(pipeline, name: str) -> Stage:
    with scope(workspace=pipeline.workspace):
        return pipeline.stages.get(name=name)


def make_deal(
    workspace, actor, pipeline, name: str = "Annual renewal", stage: str = "Lead", **extra
):
    with scope(workspace=workspace):
        data = services.DealData(name=name, stage=stage_named(pipeline, stage), **extra)
        return services.deal_create(membership=membership_in(workspace, actor), data=data)
