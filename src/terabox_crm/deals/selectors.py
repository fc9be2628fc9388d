"""Reads of the deals app. Every read goes through ``visible(membership)``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from terabox_crm.core import records
from terabox_crm.crypto import fields, keyring, normalise, search_index
from terabox_crm.deals.models import Deal, Pipeline, Stage

BOARD_LIMIT_PER_STAGE = 200


def visible(membership) -> QuerySet[Deal]:
    return Deal.objects.filter(records.readable_q(membership))


def pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related("stages")


@dataclass
class Column:
    stage: Stage
    deals: list[Deal]
    total: int
    more: bool
    move_options: str = ""  # the "Move to" <option>s, this column selected (rendered once)


def board(membership, pipeline: Pipeline) -> list[Column]:
    """The board of ``pipeline``: one column per stage, cards in board order.

    One query for the stages and one for the cards (at most
    ``BOARD_LIMIT_PER_STAGE`` per column), whatever the number of stages.
    """
    stages = list(pipeline.stages.all())
    cards = list(
        visible(membership)
        .filter(pipeline=pipeline)
        .select_related("owner", "company")
        .order_by("stage_id", "board_position", "created_at")
    )
    keyring.preload({fields.key_id_of(card.__dict__["name"]) for card in cards})
    by_stage: dict = {stage.pk: [] for stage in stages}
    # URLs and the per-card menu are built once here, not per card in the
    # template: with hundreds of cards, template lookups dominated the page.
    base = reverse("deals:list")
    for card in cards:
        card.detail_url = f"{base}{card.pk}/"
        card.move_url = f"{base}{card.pk}/move/"
        by_stage.setdefault(card.stage_id, []).append(card)
    return [
        Column(
            stage=stage,
            deals=by_stage[stage.pk][:BOARD_LIMIT_PER_STAGE],
            total=len(by_stage[stage.pk]),
            more=len(by_stage[stage.pk]) > BOARD_LIMIT_PER_STAGE,
            move_options=_options(stages, selected=stage),
        )
        for stage in stages
    ]


def _options(stages: list[Stage], *, selected: Stage) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (stage.pk, mark_safe(" selected") if stage.pk == selected.pk else "", stage.name)
            for stage in stages
        ),
    )


def search(membership, query: str) -> QuerySet[Deal]:
    """Deals whose name contains every whole token of ``query``."""
    tokens = normalise.name_tokens(query)
    qs = visible(membership)
    if not tokens:
        return qs.none()
    for token in tokens:
        qs = qs.filter(
            pk__in=search_index.candidates(membership.workspace_id, "deals.deal.name", token)
        )
    # Candidates may include truncation collisions: compare the decrypted names.
    matching = [
        deal.pk for deal in qs[:500] if set(tokens) <= set(normalise.name_tokens(deal.name))
    ]
    return visible(membership).filter(pk__in=matching)
