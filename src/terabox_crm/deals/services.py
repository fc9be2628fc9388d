"""Writes of the deals app: pipelines, stages and deals.

Every service validates, writes, records its audit event in the same
transaction and publishes its domain event after commit. A refusal raises
``Refusal`` before anything is written.

A deal links a company, a contact and an owner, given as records or ids:
the company and contact must be ones the actor may read
(``core.records.readable_many``), the owner a member of the workspace
(``core.members``), each with the one answer a missing record gets. Those
refusals are security events, recorded after the rollback
(``refusals.recorded_after_rollback``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Case, DateTimeField, F, Max, PositiveIntegerField, Value, When
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from terabox_crm import audit
from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import guards, members, records
from terabox_crm.core.bus import publish
from terabox_crm.core.models import Membership, Team
from terabox_crm.crypto import search_index, words
from terabox_crm.deals.models import (
    CLOSE_REASON_MAX_LENGTH,
    CURRENCIES,
    NAME_MAX_LENGTH,
    Deal,
    Pipeline,
    Stage,
)
from terabox_crm.lists import bulk
from terabox_crm.refusals import Refusal, recorded_after_rollback

NAME_DOMAIN = "deals.deal.name"
PIPELINE_NAME_MAX_LENGTH = 120
STAGE_NAME_MAX_LENGTH = 80
# A board column per stage: past a few dozen the board is unusable anyway.
MAX_STAGES_PER_PIPELINE = 30
CURRENCY_CODES = {code for code, _label in CURRENCIES}

# Stages a new workspace starts with; names are the workspace's own data and
# are created in the language of whoever creates the pipeline.
DEFAULT_STAGES = [
    (gettext_lazy("Lead"), Stage.Kind.OPEN, 10),
    (gettext_lazy("Qualified"), Stage.Kind.OPEN, 25),
    (gettext_lazy("Proposal"), Stage.Kind.OPEN, 50),
    (gettext_lazy("Negotiation"), Stage.Kind.OPEN, 75),
    (gettext_lazy("Won"), Stage.Kind.WON, 100),
    (gettext_lazy("Lost"), Stage.Kind.LOST, 0),
]


@dataclass
class DealData:
    name: str
    stage: Stage
    amount: Decimal | str | None = None
    currency: str = "JPY"
    expected_close_date: date | None = None
    probability: int | None = None
    company: object | None = None  # a Company or its id
    contact: object | None = None  # a Contact or its id
    owner: object | None = None  # a user or their id
    team: Team | None = None
    # Why it was won or lost (the API's ``close_reason``); None: unchanged.
    # Kept only while the deal is in a won or lost stage.
    close_reason: str | None = None
    # Ids of the workspace's tags; None: unchanged (the API does not send them).
    tag_ids: list | None = None


def _index_name(deal: Deal) -> None:
    # Deal names are business data, searched like company names (words,
    # legal forms ignored: docs/decisions/0010-company-name-search.md).
    search_index.replace(deal.workspace_id, NAME_DOMAIN, deal.pk, words.business_terms(deal.name))


def _clean(membership, data: DealData, *, deal: Deal | None = None) -> DealData:
    """Check ``data`` and resolve its links; on an update (``deal``) links
    and an owner kept as they were are not checked again."""
    workspace_id = membership.workspace_id
    name = (data.name or "").strip()
    if not name:
        raise Refusal(_("Give the deal a name."), code="name_required", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Refusal(
            _("The name is too long (at most %(max)d characters).") % {"max": NAME_MAX_LENGTH},
            code="name_too_long",
            field="name",
        )
    data.name = name
    if data.stage is None or data.stage.workspace_id != workspace_id:
        raise Refusal(_("Choose a stage of this workspace."), code="unknown_stage", field="stage")
    if data.close_reason is not None:
        data.close_reason = _reason_text(data.close_reason)
    if data.currency not in CURRENCY_CODES:
        raise Refusal(
            _("“%(code)s” is not a currency we support.") % {"code": data.currency},
            code="unknown_currency",
            field="currency",
        )
    if data.amount in ("", None):
        data.amount = None
    else:
        try:
            amount = Decimal(str(data.amount))
        except InvalidOperation:
            raise Refusal(
                _("Enter the amount as a number."), code="invalid_amount", field="amount"
            ) from None
        if amount < 0 or amount >= Decimal("1e14") or amount != amount.quantize(Decimal("0.01")):
            raise Refusal(
                _("Enter an amount from 0 with at most two decimals."),
                code="invalid_amount",
                field="amount",
            )
        data.amount = amount
    if data.probability is not None and not 0 <= int(data.probability) <= 100:
        raise Refusal(
            _("Probability is a percentage from 0 to 100."),
            code="invalid_probability",
            field="probability",
        )
    if data.team is not None and data.team.workspace_id != workspace_id:
        raise Refusal(_("Not found."), code="unknown_team", status=404, field="team")
    links = records.readable_many(
        membership,
        {"company": (Company, data.company), "contact": (Contact, data.contact)},
        unchanged={"company": deal.company, "contact": deal.contact} if deal else None,
    )
    data.company, data.contact = links["company"], links["contact"]
    if data.owner is not None:
        data.owner = members.member_user(
            workspace=workspace_id,
            value=data.owner,
            actor=membership.user_id,
            field="owner",
            current=deal.owner if deal else None,
        )
    return data


def _next_position(stage: Stage) -> int:
    top = Deal.objects.filter(stage=stage).aggregate(top=Max("board_position"))["top"]
    return (top or 0) + 1


def _pipeline_manager(membership: Membership, record=None):
    """The acting user, once ``membership`` may manage pipelines (``record``:
    the pipeline or stage it touches, which must be in its workspace)."""
    if record is not None:
        guards.in_workspace(membership, record, action="pipelines.manage")
    guards.require(membership, "pipelines.manage", message=_("Only admins can manage pipelines."))
    return membership.user


def _pipeline_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > PIPELINE_NAME_MAX_LENGTH:
        raise Refusal(
            _("Give the pipeline a name (at most 120 characters)."), code="name", field="name"
        )
    return name


@recorded_after_rollback
@transaction.atomic
def pipeline_create(
    *, membership: Membership, name: str, with_default_stages: bool = True
) -> Pipeline:
    """A new pipeline, by default with the usual stages (lead … won/lost)."""
    actor, workspace = _pipeline_manager(membership), membership.workspace
    name = _pipeline_name(name)
    top = Pipeline.objects.aggregate(top=Max("position"))["top"] or 0
    pipeline = Pipeline.objects.create(workspace=workspace, name=name, position=top + 1)
    if with_default_stages:
        Stage.objects.bulk_create(
            Stage(
                workspace=workspace,
                pipeline=pipeline,
                name=str(label),
                kind=kind,
                probability=probability,
                position=index,
            )
            for index, (label, kind, probability) in enumerate(DEFAULT_STAGES, start=1)
        )
    audit.record("deals.pipeline.created", actor=actor, workspace=workspace, obj=pipeline)
    return pipeline


@recorded_after_rollback
@transaction.atomic
def deal_create(*, membership: Membership, data: DealData) -> Deal:
    actor, workspace = membership.user, membership.workspace
    guards.require(membership, "deals.add", message=_("Viewers cannot create deals."))
    data = _clean(membership, data)
    tags = (
        contact_services.tags_for(membership=membership, tag_ids=data.tag_ids)
        if data.tag_ids
        else []
    )
    deal = Deal(
        workspace=workspace,
        pipeline_id=data.stage.pipeline_id,
        stage=data.stage,
        name=data.name,
        amount=data.amount,
        currency=data.currency,
        expected_close_date=data.expected_close_date,
        probability=data.probability,
        company=data.company,
        contact=data.contact,
        owner=data.owner or actor,
        team=data.team if data.team is not None else membership.team,
        board_position=_next_position(data.stage),
        closed_at=timezone.now() if data.stage.is_closed else None,
        stage_entered_at=timezone.now(),
        close_reason=(data.close_reason or "") if data.stage.is_closed else "",
    )
    deal.save(force_insert=True)
    if tags:
        deal.tags.set(tags)
    _index_name(deal)
    audit.record(
        "deals.deal.created",
        actor=actor,
        workspace=workspace,
        obj=deal,
        payload={"stage": str(deal.stage_id), "currency": deal.currency},
        personal={"after": {"name": deal.name}},
        subject_id=deal.pk,
    )
    publish("deal.created", workspace_id=workspace.pk, object_id=deal.pk)
    return deal


@recorded_after_rollback
@transaction.atomic
def deal_update(*, membership: Membership, deal: Deal, data: DealData) -> Deal:
    guards.require_record(
        membership, "deals.change", deal, message=_("You cannot change this deal.")
    )
    actor = membership.user
    data = _clean(membership, data, deal=deal)
    if data.stage.pipeline_id != deal.pipeline_id:
        raise Refusal(
            _("That stage belongs to another pipeline."), code="foreign_stage", field="stage"
        )
    # Checked before anything changes: a foreign tag refuses the whole edit.
    tags = (
        contact_services.tags_for(membership=membership, tag_ids=data.tag_ids)
        if data.tag_ids is not None
        else None
    )
    before_name = deal.name
    previous_stage = deal.stage_id
    fields = {
        "name": data.name,
        "amount": data.amount,
        "currency": data.currency,
        "expected_close_date": data.expected_close_date,
        "probability": data.probability,
        "company": data.company,
        "contact": data.contact,
        "owner": data.owner or deal.owner,
        "team": data.team,
    }
    changed = [name for name, value in fields.items() if getattr(deal, name) != value]
    for name, value in fields.items():
        setattr(deal, name, value)
    if data.stage.pk != previous_stage:
        _apply_stage(deal, data.stage)
        changed += ["stage", "board_position", "closed_at", "stage_entered_at", "close_reason"]
    reason = data.close_reason
    if reason is not None and data.stage.is_closed and reason != deal.close_reason:
        deal.close_reason = reason
        changed.append("close_reason")
    tags_changed = False
    if tags is not None:
        tags_changed = {t.pk for t in tags} != set(deal.tags.values_list("pk", flat=True))
        if tags_changed:
            deal.tags.set(tags)
    if not changed and not tags_changed:
        return deal
    deal.save(update_fields=[*changed, "updated_at"])
    if "name" in changed:
        _index_name(deal)
    if tags_changed:
        changed.append("tags")
    audit.record(
        "deals.deal.updated",
        actor=actor,
        workspace=deal.workspace,
        obj=deal,
        payload={"fields": sorted(set(changed))},
        personal={"before": {"name": before_name}, "after": {"name": deal.name}}
        if "name" in changed
        else None,
        subject_id=deal.pk,
    )
    publish("deal.updated", workspace_id=deal.workspace_id, object_id=deal.pk)
    if data.stage.pk != previous_stage:
        publish("deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk)
    return deal


def _apply_stage(deal: Deal, stage: Stage) -> None:
    deal.stage = stage
    deal.board_position = _next_position(stage)
    _entered(deal, stage)


def _entered(deal: Deal, stage: Stage) -> None:
    """The stage's clocks: when the deal entered it (days in stage) and
    closed; a reason belongs to a closing, so leaving won or lost drops it."""
    now = timezone.now()
    deal.stage_entered_at = now
    deal.closed_at = now if stage.is_closed else None
    if not stage.is_closed:
        deal.close_reason = ""


@recorded_after_rollback
@transaction.atomic
def deal_move(
    *, membership: Membership, deal: Deal, stage: Stage, before: Deal | None = None
) -> Deal:
    """Move a deal to ``stage`` (a board drag), placed before ``before`` or at the end."""
    guards.require_record(
        membership, "deals.change", deal, message=_("You cannot change this deal.")
    )
    actor = membership.user
    if stage.workspace_id != deal.workspace_id:
        raise Refusal(_("Not found."), code="unknown_stage", status=404)
    if stage.pipeline_id != deal.pipeline_id:
        raise Refusal(_("That stage belongs to another pipeline."), code="foreign_stage")
    if before is not None and (before.stage_id != stage.pk or before.pk == deal.pk):
        before = None
    previous_stage = deal.stage_id
    if before is None:
        if stage.pk != previous_stage:
            _apply_stage(deal, stage)
    else:
        # Make room: shift the target and every card after it down by one.
        Deal.objects.filter(stage=stage, board_position__gte=before.board_position).exclude(
            pk=deal.pk
        ).update(board_position=F("board_position") + 1)
        if stage.pk != previous_stage:
            deal.stage = stage
            _entered(deal, stage)
        deal.board_position = before.board_position
    deal.save(
        update_fields=[
            "stage",
            "board_position",
            "closed_at",
            "stage_entered_at",
            "close_reason",
            "updated_at",
        ]
    )
    if stage.pk != previous_stage:
        audit.record(
            "deals.deal.stage_changed",
            actor=actor,
            workspace=deal.workspace,
            obj=deal,
            payload={"from": str(previous_stage), "to": str(stage.pk)},
        )
        publish("deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk)
    return deal


def _reason_text(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > CLOSE_REASON_MAX_LENGTH:
        raise Refusal(
            _("The reason is too long (at most %(max)d characters).")
            % {"max": CLOSE_REASON_MAX_LENGTH},
            code="reason_too_long",
            field="close_reason",
        )
    return reason


def _close_reason(stage: Stage, reason: str | None) -> str:
    reason = _reason_text(reason)
    if stage.kind == Stage.Kind.LOST and not reason:
        raise Refusal(
            _("Say why the deal was lost: the team learns from it."),
            code="reason_required",
            field="close_reason",
        )
    return reason if stage.is_closed else ""


@recorded_after_rollback
@transaction.atomic
def deal_set_stage(
    *, membership: Membership, deal: Deal, stage: Stage, reason: str | None = None
) -> Deal:
    """The deal page's stage bar: one click to another stage of the deal's
    pipeline, with the reason when it closes (required for lost, optional
    for won; kept encrypted, shown on the page, in the API). Choosing the
    stage it is in only updates the reason of a closed deal."""
    guards.require_record(
        membership, "deals.change", deal, message=_("You cannot change this deal.")
    )
    if stage.workspace_id != deal.workspace_id:
        raise Refusal(_("Not found."), code="unknown_stage", status=404)
    if stage.pipeline_id != deal.pipeline_id:
        raise Refusal(_("That stage belongs to another pipeline."), code="foreign_stage")
    reason = _close_reason(stage, reason)
    previous_stage = deal.stage_id
    if stage.pk == previous_stage:
        if not stage.is_closed or reason == deal.close_reason:
            return deal
        deal.close_reason = reason
        deal.save(update_fields=["close_reason", "updated_at"])
        audit.record(
            "deals.deal.updated",
            actor=membership.user,
            workspace=deal.workspace,
            obj=deal,
            payload={"fields": ["close_reason"]},
            subject_id=deal.pk,
        )
        publish("deal.updated", workspace_id=deal.workspace_id, object_id=deal.pk)
        return deal
    _apply_stage(deal, stage)
    deal.close_reason = reason
    deal.save(
        update_fields=[
            "stage",
            "board_position",
            "closed_at",
            "stage_entered_at",
            "close_reason",
            "updated_at",
        ]
    )
    payload = {"from": str(previous_stage), "to": str(stage.pk)}
    if stage.is_closed:
        payload["outcome"] = stage.kind
        payload["reason_given"] = bool(reason)
    audit.record(
        "deals.deal.stage_changed",
        actor=membership.user,
        workspace=deal.workspace,
        obj=deal,
        payload=payload,
    )
    publish("deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk)
    return deal


@recorded_after_rollback
@transaction.atomic
def deal_delete(*, membership: Membership, deal: Deal) -> None:
    guards.require_record(
        membership, "deals.delete", deal, message=_("You cannot delete this deal.")
    )
    actor = membership.user
    deal_id, workspace = deal.pk, deal.workspace
    search_index.forget(workspace.pk, deal_id)
    deal.delete()
    audit.record(
        "deals.deal.deleted",
        actor=actor,
        workspace=workspace,
        object_type="deals.deal",
        object_id=str(deal_id),
    )
    publish("deal.deleted", workspace_id=workspace.pk, object_id=deal_id)


# --- Pipelines and their stages ----------------------------------------------------------
#
# The rules live here, for the pipelines screen and any later API alike:
# - a pipeline keeps at least one open stage (a deal must be able to be open);
# - stage names are unique within their pipeline, compared after NFKC and case
#   folding ("Ｌｅａｄ" and "lead" clash), so the board never shows two alike;
# - a stage that still holds deals is deleted only by moving them to another
#   stage of the same pipeline, never silently and never across pipelines;
# - a pipeline is deleted only when it holds no deal (``Deal.pipeline`` and
#   ``Deal.stage`` are PROTECT, so the database refuses too).
# Each stage service first locks the pipeline's stages (``select_for_update``),
# so two admins editing one pipeline at once cannot, say, both turn a different
# one of its last two open stages into won.


@dataclass
class StageData:
    name: str
    kind: str = Stage.Kind.OPEN
    probability: int | str | None = 10


def _stage_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _locked_stages(pipeline: Pipeline) -> list[Stage]:
    return list(
        Stage.objects.select_for_update().filter(pipeline_id=pipeline.pk).order_by("position", "pk")
    )


def _find(stages: list[Stage], stage: Stage) -> int:
    for index, candidate in enumerate(stages):
        if candidate.pk == stage.pk:
            return index
    raise Refusal(_("Not found."), code="unknown_stage", status=404)


def _renumber(stages: list[Stage]) -> None:
    """Positions 1…n in list order, writing only the stages that moved."""
    changed = []
    for position, stage in enumerate(stages, start=1):
        if stage.position != position:
            stage.position = position
            changed.append(stage)
    if changed:
        Stage.objects.bulk_update(changed, ["position"])


def _clean_stage(
    data: StageData, *, siblings: list[Stage], stage: Stage | None = None
) -> StageData:
    name = (data.name or "").strip()
    if not name:
        raise Refusal(_("Give the stage a name."), code="name_required", field="name")
    if len(name) > STAGE_NAME_MAX_LENGTH:
        raise Refusal(
            _("The stage name is too long (at most %(max)d characters).")
            % {"max": STAGE_NAME_MAX_LENGTH},
            code="name_too_long",
            field="name",
        )
    key = _stage_key(name)
    if any(
        _stage_key(other.name) == key for other in siblings if stage is None or other.pk != stage.pk
    ):
        raise Refusal(
            _("This pipeline already has a stage named “%(name)s”.") % {"name": name},
            code="duplicate_name",
            field="name",
        )
    if data.kind not in Stage.Kind.values:
        raise Refusal(
            _("Choose whether the stage is open, won or lost."), code="invalid_kind", field="kind"
        )
    try:
        probability = int(str(data.probability).strip())
    except ValueError:
        probability = -1
    if not 0 <= probability <= 100:
        raise Refusal(
            _("Probability is a percentage from 0 to 100."),
            code="invalid_probability",
            field="probability",
        )
    return StageData(name=name, kind=data.kind, probability=probability)


def _last_open_stage() -> Refusal:
    return Refusal(
        _("A pipeline needs at least one open stage."), code="last_open_stage", field="kind"
    )


@recorded_after_rollback
@transaction.atomic
def pipeline_rename(*, membership: Membership, pipeline: Pipeline, name: str) -> Pipeline:
    actor = _pipeline_manager(membership, pipeline)
    name = _pipeline_name(name)
    if name == pipeline.name:
        return pipeline
    before = pipeline.name
    pipeline.name = name
    pipeline.save(update_fields=["name"])
    audit.record(
        "deals.pipeline.renamed",
        actor=actor,
        workspace=pipeline.workspace,
        obj=pipeline,
        payload={"from": before, "to": name},
    )
    return pipeline


@recorded_after_rollback
@transaction.atomic
def pipeline_delete(*, membership: Membership, pipeline: Pipeline) -> None:
    """Delete an empty pipeline and its stages; one that holds deals is refused."""
    actor = _pipeline_manager(membership, pipeline)
    stages = _locked_stages(pipeline)
    not_empty = Refusal(
        _("This pipeline still holds deals: move or delete them first."),
        code="pipeline_not_empty",
        status=409,
    )
    if Deal.objects.filter(pipeline_id=pipeline.pk).exists():
        raise not_empty
    pipeline_id, workspace, name = pipeline.pk, pipeline.workspace, pipeline.name
    try:
        pipeline.delete()
    except ProtectedError:  # a deal arrived since the check above
        raise not_empty from None
    audit.record(
        "deals.pipeline.deleted",
        actor=actor,
        workspace=workspace,
        object_type="deals.pipeline",
        object_id=str(pipeline_id),
        payload={"name": name, "stages": len(stages)},
    )


@recorded_after_rollback
@transaction.atomic
def stage_add(*, membership: Membership, pipeline: Pipeline, data: StageData) -> Stage:
    """A new stage: an open one goes after the last open stage (before won and
    lost), a won or lost one at the end."""
    actor = _pipeline_manager(membership, pipeline)
    stages = _locked_stages(pipeline)
    if len(stages) >= MAX_STAGES_PER_PIPELINE:
        raise Refusal(
            _("A pipeline has at most %(max)d stages.") % {"max": MAX_STAGES_PER_PIPELINE},
            code="too_many_stages",
        )
    data = _clean_stage(data, siblings=stages)
    index = len(stages)
    if data.kind == Stage.Kind.OPEN:
        open_indexes = [i for i, stage in enumerate(stages) if stage.kind == Stage.Kind.OPEN]
        index = open_indexes[-1] + 1 if open_indexes else 0
    stage = Stage(
        workspace=pipeline.workspace,
        pipeline=pipeline,
        name=data.name,
        kind=data.kind,
        probability=data.probability,
        position=index + 1,
    )
    stage.save(force_insert=True)
    _renumber([*stages[:index], stage, *stages[index:]])
    audit.record(
        "deals.stage.created",
        actor=actor,
        workspace=pipeline.workspace,
        obj=stage,
        payload={
            "pipeline": str(pipeline.pk),
            "name": stage.name,
            "kind": stage.kind,
            "probability": stage.probability,
            "position": stage.position,
        },
    )
    return stage


@recorded_after_rollback
@transaction.atomic
def stage_update(*, membership: Membership, stage: Stage, data: StageData) -> Stage:
    """Rename a stage, change its kind or its default probability.

    Turning an open stage into won or lost closes the deals in it (and the
    reverse reopens them), as moving them there would have.
    """
    actor = _pipeline_manager(membership, stage)
    stages = _locked_stages(stage.pipeline)
    current = stages[_find(stages, stage)]
    data = _clean_stage(data, siblings=stages, stage=stage)
    if data.kind != Stage.Kind.OPEN and not any(
        other.kind == Stage.Kind.OPEN for other in stages if other.pk != stage.pk
    ):
        raise _last_open_stage()
    before = {"name": current.name, "kind": current.kind, "probability": current.probability}
    after = {"name": data.name, "kind": data.kind, "probability": data.probability}
    changed = [field for field in before if before[field] != after[field]]
    if not changed:
        return stage
    for field in changed:
        setattr(stage, field, after[field])
    stage.save(update_fields=changed)
    payload = {
        "pipeline": str(stage.pipeline_id),
        "fields": changed,
        "before": {field: before[field] for field in changed},
        "after": {field: after[field] for field in changed},
    }
    was_closed = before["kind"] != Stage.Kind.OPEN
    if was_closed != stage.is_closed:
        deals = Deal.objects.filter(stage_id=stage.pk)
        if stage.is_closed:
            payload["deals_closed"] = deals.filter(closed_at=None).update(closed_at=timezone.now())
        else:
            payload["deals_reopened"] = deals.exclude(closed_at=None).update(closed_at=None)
    audit.record(
        "deals.stage.updated", actor=actor, workspace=stage.workspace, obj=stage, payload=payload
    )
    return stage


@recorded_after_rollback
@transaction.atomic
def stage_move(*, membership: Membership, stage: Stage, direction: str) -> Stage:
    """Swap ``stage`` with its neighbour above (``"up"``) or below (``"down"``).

    At the top or bottom already, nothing changes and nothing is recorded.
    """
    actor = _pipeline_manager(membership, stage)
    if direction not in ("up", "down"):
        raise Refusal(_("Move a stage up or down."), code="invalid_direction", field="direction")
    stages = _locked_stages(stage.pipeline)
    index = _find(stages, stage)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(stages):
        return stage
    stages[index], stages[target] = stages[target], stages[index]
    _renumber(stages)
    stage.position = target + 1
    audit.record(
        "deals.stage.moved",
        actor=actor,
        workspace=stage.workspace,
        obj=stage,
        payload={"pipeline": str(stage.pipeline_id), "from": index + 1, "to": target + 1},
    )
    return stage


@recorded_after_rollback
@transaction.atomic
def stage_delete(
    *, membership: Membership, stage: Stage, move_deals_to: Stage | None = None
) -> int:
    """Delete ``stage``; the deals in it move to ``move_deals_to``, a stage of
    the same pipeline, behind the cards already there. Returns how many moved.

    What is never deleted: deals. A stage that still holds some is refused
    unless a target is given; the move and the deletion share one transaction,
    so either both happen or neither does. The move is one UPDATE, however
    many deals; it publishes no ``deal.stage_changed`` per deal (a stage may
    hold hundreds of thousands, and each event writes webhook deliveries in
    this request): the audit event records how many moved and where.
    """
    actor = _pipeline_manager(membership, stage)
    stages = _locked_stages(stage.pipeline)
    index = _find(stages, stage)
    remaining = stages[:index] + stages[index + 1 :]
    if not any(other.kind == Stage.Kind.OPEN for other in remaining):
        raise _last_open_stage()
    target = None
    if move_deals_to is not None:
        if move_deals_to.workspace_id != stage.workspace_id:
            raise Refusal(_("Not found."), code="unknown_stage", status=404, field="target")
        if move_deals_to.pk == stage.pk:
            raise Refusal(
                _("Choose another stage to move the deals to."), code="same_stage", field="target"
            )
        if move_deals_to.pipeline_id != stage.pipeline_id:
            raise Refusal(
                _("That stage belongs to another pipeline."), code="foreign_stage", field="target"
            )
        target = remaining[_find(remaining, move_deals_to)]
    deals = Deal.objects.filter(stage_id=stage.pk)
    moved = 0
    if deals.exists():
        if target is None:
            raise Refusal(
                _("This stage still holds deals: choose the stage to move them to."),
                code="target_required",
                field="target",
            )
        now = timezone.now()
        moved = deals.update(
            stage=target,
            board_position=F("board_position") + _next_position(target),
            closed_at=Coalesce(F("closed_at"), Value(now), output_field=DateTimeField())
            if target.is_closed
            else None,
            stage_entered_at=now,
            updated_at=now,
            **({} if target.is_closed else {"close_reason": ""}),
        )
    stage_id, name, kind = stage.pk, stage.name, stage.kind
    try:
        stage.delete()
    except ProtectedError:  # a deal arrived in the stage since the move
        raise Refusal(
            _("This stage still holds deals: choose the stage to move them to."),
            code="target_required",
            field="target",
        ) from None
    _renumber(remaining)
    audit.record(
        "deals.stage.deleted",
        actor=actor,
        workspace=stage.workspace,
        object_type="deals.stage",
        object_id=str(stage_id),
        payload={
            "pipeline": str(stage.pipeline_id),
            "name": name,
            "kind": kind,
            "deals_moved": moved,
            "moved_to": str(target.pk) if target else None,
        },
    )
    return moved


# --- Bulk actions on the deal list (docs/ui.md "Bulk actions") --------------------------


def _bulk_stage(membership: Membership, rows: list, value, name: str) -> int:
    """The bulk bar's stage change, set-based: what ``deal_move`` does for
    one deal (stage, board position at the end of the column, the stage's
    clocks, a reason dropped when reopened; its stage-changed audit event
    and bus event), in one UPDATE and one audit batch however many deals
    are chosen. The per-record checks (locks on restricted people's deals,
    P7) were made by ``lists.bulk.run``."""
    key = records.as_uuid(value)
    stage = (
        Stage.objects.filter(workspace_id=membership.workspace_id, pk=key)
        .select_related("pipeline")
        .first()
        if key
        else None
    )
    if stage is None:
        raise bulk.refused_value(membership, name, _("Choose a stage."))
    elsewhere = [d for d in rows if d.pipeline_id != stage.pipeline_id]
    if elsewhere:
        raise Refusal(
            ngettext(
                "%(count)s of the chosen deals is in another pipeline. Nothing was changed.",
                "%(count)s of the chosen deals are in another pipeline. Nothing was changed.",
                len(elsewhere),
            )
            % {"count": f"{len(elsewhere):,}"},
            code="foreign_stage",
            action=name,
        )
    changed = [d for d in rows if d.stage_id != stage.pk]
    if not changed:
        return 0
    top = _next_position(stage)
    now = timezone.now()
    fields = {
        "stage": stage,
        "board_position": Case(
            *[When(pk=d.pk, then=Value(top + n)) for n, d in enumerate(changed)],
            output_field=PositiveIntegerField(),
        ),
        "stage_entered_at": now,
        "closed_at": now if stage.is_closed else None,
        "updated_at": now,
    }
    if not stage.is_closed:
        fields["close_reason"] = ""
    Deal.objects.filter(pk__in=[d.pk for d in changed]).update(**fields)
    bulk.audited(
        membership,
        changed,
        action="deals.deal.stage_changed",
        fields=["stage"],
        payload=lambda deal: {"from": str(deal.stage_id), "to": str(stage.pk)},
    )
    for deal in changed:
        publish("deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk)
    return len(changed)


def _bulk_delete(membership: Membership, rows: list, value, name: str) -> int:
    for deal in rows:
        deal_delete(membership=membership, deal=deal)
    return len(rows)


DEAL_BULK = bulk.Bulk(
    app="deals",
    queryset=lambda membership, action: Deal.objects.visible_to(membership).select_related(
        "workspace", "stage"
    ),
    handlers={
        "owner": bulk.reassigning(
            field="owner",
            event="deal.updated",
            message=gettext_lazy("Choose a member of this workspace as the owner."),
        ),
        "tag_add": contact_services.bulk_tags(add=True),
        "tag_remove": contact_services.bulk_tags(add=False),
        "stage": _bulk_stage,
        "delete": _bulk_delete,
    },
)


def deal_bulk(*, membership: Membership, ids, action: str, value="") -> int:
    """One action on at most ``anatomy.BULK_LIMIT`` deals, all or nothing
    (``lists.bulk.run``): every id must be a deal the member reads and may
    change (locks of restricted contacts apply, P7), a new stage must be of
    every chosen deal's pipeline, else nothing changes and the refusal says
    how many do not fit. One audit event per deal, the one a single change
    records; the queries do not grow with the selection."""
    return bulk.run(DEAL_BULK, membership=membership, ids=ids, action=action, value=value)
