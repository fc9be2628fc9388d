"""Reads of the deals app. Every read of deals goes through
``Deal.objects.visible_to(membership)`` (``core.records``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from terabox_crm.core.selectors import initials  # the avatar letters, shared with the members page
from terabox_crm.crypto import fields, keyring, search_index, words
from terabox_crm.deals.models import Deal, Pipeline, Stage

# Cards a column shows at first and per "Show more": a pipeline with
# thousands of deals renders in bounded time, and never loads every deal.
BOARD_PAGE_SIZE = 30
BOARD_ORDER = ("board_position", "created_at", "id")
BOARD_COUNT_CAP = 10_000


def pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related("stages")


def pipeline_overview() -> QuerySet[Pipeline]:
    """Pipelines with their ordered stages for the pipelines screen, each
    pipeline and stage annotated ``has_deals`` (which delete forms to offer).

    Two queries whatever the number of deals: ``EXISTS`` stops at the first
    row of an index, where a count would read every deal.
    """
    stages = Stage.objects.annotate(
        has_deals=Exists(Deal.objects.filter(stage_id=OuterRef("pk")))
    ).order_by("position", "pk")
    return Pipeline.objects.annotate(
        has_deals=Exists(Deal.objects.filter(pipeline_id=OuterRef("pk")))
    ).prefetch_related(Prefetch("stages", queryset=stages))


@dataclass
class Column:
    stage: Stage
    deals: list[Deal]
    total: int
    more: bool
    move_options: str = (
        ""  # the card menu's "Move to" buttons, this column left out (rendered once)
    )
    more_url: str = ""  # the next cards of this column, after the last one shown
    total_capped: bool = False  # more than BOARD_COUNT_CAP deals: shown as "10,000+"
    # Per currency: (currency, amount, weighted amount = amount × probability);
    # none past BOARD_COUNT_CAP (a sum of the first deals would be wrong).
    amounts: list[tuple[str, object, object]] = field(default_factory=list)


def column_amounts(membership, pipeline: Pipeline, stages: list[Stage]) -> dict:
    """Each stage's total and weighted total per currency: amount × the
    deal's probability, else its stage's (``Deal.effective_probability``).

    One grouped query over at most ``BOARD_COUNT_CAP + 1`` deals per stage
    (ranked in the database, as ``pipeline_summary`` does): a huge pipeline
    costs a bounded read; a stage past the cap gets no sums.
    """
    if not stages:
        return {}
    ranked = (
        Deal.objects.visible_to(membership)
        .filter(pipeline=pipeline)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("stage_id")], order_by=[F(f) for f in BOARD_ORDER]
            )
        )
        .filter(rank__lte=BOARD_COUNT_CAP + 1)
        .values("pk")
    )
    rows = (
        Deal.objects.filter(pk__in=ranked)
        .order_by()
        .values("stage_id", "currency")
        .annotate(
            count=Count("id"),
            total=Sum("amount"),
            weighted=Sum(
                F("amount") * Coalesce("probability", "stage__probability"),
                output_field=DecimalField(max_digits=20, decimal_places=2),
            ),
        )
        .order_by("stage_id", "currency")
    )
    found: dict = {stage.pk: [] for stage in stages}
    counts: dict = {stage.pk: 0 for stage in stages}
    for row in rows:
        counts[row["stage_id"]] = counts.get(row["stage_id"], 0) + row["count"]
        if row["total"] is None:
            continue
        weighted = (Decimal(row["weighted"] or 0) / 100).quantize(Decimal("1"))
        found.setdefault(row["stage_id"], []).append((row["currency"], row["total"], weighted))
    return {
        pk: ([] if counts.get(pk, 0) > BOARD_COUNT_CAP else amounts)
        for pk, amounts in found.items()
    }


def board(membership, pipeline: Pipeline) -> list[Column]:
    """The board of ``pipeline``: one column per stage, cards in board order.

    Two queries whatever the number of deals, plus one bounded count per
    stage: the stages, the first ``BOARD_PAGE_SIZE`` cards of every stage (a
    window function ranks cards within their stage in the database), and
    each stage's count up to ``BOARD_COUNT_CAP``.
    """
    stages = list(pipeline.stages.all())
    cards = Deal.objects.visible_to(membership).filter(pipeline=pipeline)
    # Counted up to a cap, per stage (an index range each): a column never
    # costs an exact COUNT over a huge pipeline.
    totals = {
        stage.pk: cards.filter(stage=stage).order_by()[: BOARD_COUNT_CAP + 1].count()
        for stage in stages
    }
    ranked = list(
        _card_rows(cards)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("stage_id")], order_by=[F(f) for f in BOARD_ORDER]
            )
        )
        .filter(rank__lte=BOARD_PAGE_SIZE)
        .order_by("stage_id", *BOARD_ORDER)
    )
    amounts = column_amounts(membership, pipeline, stages)
    by_stage: dict = {stage.pk: [] for stage in stages}
    for card in _prepared(ranked):
        by_stage.setdefault(card.stage_id, []).append(card)
    columns = []
    for stage in stages:
        shown = by_stage[stage.pk]
        total = totals[stage.pk]
        column = Column(
            stage=stage,
            deals=shown,
            total=min(total, BOARD_COUNT_CAP),
            total_capped=total > BOARD_COUNT_CAP,
            more=total > len(shown),
            move_options=_options(stages, selected=stage),
            amounts=amounts.get(stage.pk, []),
        )
        if column.more:
            column.more_url = _more_url(pipeline, stage, shown[-1])
        columns.append(column)
    return columns


@dataclass
class StageSummary:
    stage: Stage
    count: int = 0
    count_capped: bool = False  # more than BOARD_COUNT_CAP deals: shown as "10,000+"
    totals: list[tuple[str, object]] = field(default_factory=list)  # (currency, amount)


@dataclass
class PipelineSummary:
    pipeline: Pipeline
    stages: list[StageSummary]


def pipeline_summary(membership) -> PipelineSummary | None:
    """The open stages of the first pipeline with the number and amount per
    currency of the deals ``membership`` may see (the home page).

    Three queries whatever the number of deals: the pipeline, its stages,
    then one grouped query over at most ``BOARD_COUNT_CAP + 1`` deals per
    stage (ranked in the database, like the board), so a huge pipeline
    costs a bounded read and shows "10,000+" as the board does.
    """
    pipeline = (
        Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("position", "pk"))
        )
        .order_by("position", "created_at")
        .first()
    )
    if pipeline is None:
        return None
    stages = [stage for stage in pipeline.stages.all() if stage.kind == Stage.Kind.OPEN]
    summaries = {stage.pk: StageSummary(stage=stage) for stage in stages}
    if summaries:
        ranked = (
            Deal.objects.visible_to(membership)
            .filter(pipeline=pipeline, stage_id__in=list(summaries))
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=[F("stage_id")], order_by=[F(f) for f in BOARD_ORDER]
                )
            )
            .filter(rank__lte=BOARD_COUNT_CAP + 1)
            .values("pk")
        )
        rows = (
            Deal.objects.filter(pk__in=ranked)
            .order_by()
            .values("stage_id", "currency")
            .annotate(count=Count("id"), total=Sum("amount"))
            .order_by("stage_id", "currency")
        )
        for row in rows:
            summary = summaries[row["stage_id"]]
            summary.count += row["count"]
            if row["total"] is not None:
                summary.totals.append((row["currency"], row["total"]))
        for summary in summaries.values():
            if summary.count > BOARD_COUNT_CAP:
                # Past the cap the sums would cover only the first deals:
                # show the capped count and no amount rather than a wrong one.
                summary.count, summary.count_capped = BOARD_COUNT_CAP, True
                summary.totals = []
    return PipelineSummary(pipeline=pipeline, stages=list(summaries.values()))


def column_page(membership, pipeline: Pipeline, stage: Stage, after: Deal) -> Column:
    """The next ``BOARD_PAGE_SIZE`` cards of ``stage`` after the card ``after``
    (keyset on the board order: as fast for the 5,000th card as the 50th)."""
    later = (
        Q(board_position__gt=after.board_position)
        | Q(board_position=after.board_position, created_at__gt=after.created_at)
        | Q(board_position=after.board_position, created_at=after.created_at, id__gt=after.id)
    )
    rows = list(
        _card_rows(Deal.objects.visible_to(membership).filter(pipeline=pipeline, stage=stage))
        .filter(later)
        .order_by(*BOARD_ORDER)[: BOARD_PAGE_SIZE + 1]
    )
    shown = _prepared(rows[:BOARD_PAGE_SIZE])
    column = Column(
        stage=stage,
        deals=shown,
        total=0,
        more=len(rows) > BOARD_PAGE_SIZE,
        move_options=_options(list(pipeline.stages.all()), selected=stage),
    )
    if column.more:
        column.more_url = _more_url(pipeline, stage, shown[-1])
    return column


def _card_rows(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    # Only what a card shows: the name, amount, currency, close date, days in
    # stage and owner.
    return queryset.select_related("owner").only(
        "id",
        "workspace_id",
        "name",
        "amount",
        "currency",
        "expected_close_date",
        "stage_entered_at",
        "stage_id",
        "board_position",
        "created_at",
        "owner__id",
        "owner__display_name",
        "owner__email",
    )


def _prepared(cards: list[Deal]) -> list[Deal]:
    keyring.preload({fields.key_id_of(card.__dict__["name"]) for card in cards})
    # URLs are built once here, not per card in the template: with hundreds
    # of cards, template lookups dominated the page.
    base = reverse("deals:list")
    # A board has a few owners and many cards: decrypt each owner's name once.
    owner_labels: dict = {}
    today = timezone.localdate()
    for card in cards:
        card.detail_url = f"{base}{card.pk}/"
        card.move_url = f"{base}{card.pk}/move/"
        if card.owner_id not in owner_labels:
            owner_labels[card.owner_id] = card.owner.label if card.owner_id else ""
        card.owner_label = owner_labels[card.owner_id]
        card.owner_initials = initials(card.owner_label)
        entered = card.stage_entered_at or card.created_at
        card.days_in_stage = max(0, (today - timezone.localdate(entered)).days)
        card.close_overdue = (
            card.expected_close_date is not None and card.expected_close_date < today
        )
    return cards


def _more_url(pipeline: Pipeline, stage: Stage, last: Deal) -> str:
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    return f"{url}?{urlencode({'stage': stage.pk, 'after': last.pk})}"


def _options(stages: list[Stage], *, selected: Stage) -> str:
    """The card menu's "Move to" buttons: every stage but the card's own
    (rendered once per column, not per card)."""
    return format_html_join(
        "",
        '<li><button class="menu-item" type="submit" name="stage" value="{}">{}</button></li>',
        ((stage.pk, stage.name) for stage in stages if stage.pk != selected.pk),
    )


def search(membership, query: str) -> QuerySet[Deal]:
    """Deals whose name holds every word of ``query`` (``words.business_query``)."""
    parts = words.business_query(query)
    qs = Deal.objects.visible_to(membership)
    if not parts:
        return qs.none()
    qs = search_index.matching_parts(qs, membership.workspace_id, "deals.deal.name", parts)
    # Candidates may include truncation collisions: compare the decrypted names.
    matching = [deal.pk for deal in qs[:500] if words.holds((deal.name,), parts)]
    return Deal.objects.visible_to(membership).filter(pk__in=matching)


RELATED_DEALS_LIMIT = 10


def record_deals(
    membership, *, limit: int = RELATED_DEALS_LIMIT, **link
) -> tuple[list[Deal], bool]:
    """The deals of one contact or company (``link``: ``contact=`` or
    ``company=``) the member may read, open ones first then the most recently
    changed; at most ``limit``, and whether there are more. One query for the
    rows with their stage, owner and contact, one for the keys."""
    ((name, record),) = link.items()
    rows = list(
        Deal.objects.visible_to(membership)
        .filter(**{name: record})
        .select_related("stage", "owner", "contact")
        .annotate(closed=Q(stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST]))
        .order_by("closed", "-updated_at", "-id")[: limit + 1]
    )
    rows, has_more = rows[:limit], len(rows) > limit
    keyring.preload(
        {
            fields.key_id_of(value)
            for row in rows
            for value in (
                row.__dict__.get("name"),
                row.contact.__dict__.get("family_name") if row.contact else None,
                row.contact.__dict__.get("given_name") if row.contact else None,
            )
            if value
        }
    )
    return rows, has_more


# --- Search (the top bar's dropdown and the search page) ---------------------------------

SEARCH_CANDIDATES = 60


def name_matches(membership, query: str, *, limit: int) -> list[Deal]:
    """Visible deals whose name holds every word of ``query`` (business-name
    search, ``words.business_query``: 「さくら」 finds 「さくら物流 保守契約更新」),
    newest first, at most ``limit``; compared after decryption."""
    parts = words.business_query(query)
    if not parts:
        return []
    deals = Deal.objects.visible_to(membership).select_related("stage", "owner", "company")
    deals = search_index.matching_parts(deals, membership.workspace_id, "deals.deal.name", parts)
    return [
        deal
        for deal in deals.order_by("-created_at")[: max(SEARCH_CANDIDATES, limit * 2)]
        if words.holds((deal.name,), parts)
    ][:limit]


def search_page_rows(membership, query: str, results) -> list:
    """The search page's deal rows (``contacts.selectors.register_search_provider``)."""
    from terabox_crm.contacts.selectors import SearchRow
    from terabox_crm.core import policy

    if results.kind != "tokens" or not policy.can(membership, "deals.view"):
        return []
    return [
        SearchRow(
            "deal",
            deal.name,
            reverse("deals:detail", args=[deal.pk]),
            record=deal,
            company=deal.company,
            owner=deal.owner,
        )
        for deal in name_matches(membership, query, limit=20)
    ]
