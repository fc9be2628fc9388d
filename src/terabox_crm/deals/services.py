"""Writes of the deals app: pipelines, stages and deals.

Every service validates, writes, records its audit event in the same
transaction and publishes its domain event after commit. A refusal raises
``DealError`` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terabox_crm import audit
from terabox_crm.core import records
from terabox_crm.core.models import Membership, Team
from terabox_crm.crypto import normalise, search_index
from terabox_crm.deals import events
from terabox_crm.deals.errors import DealError
from terabox_crm.deals.models import CURRENCIES, NAME_MAX_LENGTH, Deal, Pipeline, Stage

NAME_DOMAIN = "deals.deal.name"
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
    company: object | None = None
    contact: object | None = None
    owner: object | None = None
    team: Team | None = None


def _membership(actor, workspace) -> Membership:
    membership = Membership.objects.filter(user=actor, workspace=workspace).first()
    if membership is None:
        raise DealError(_("You are not a member of this workspace."), code="not_member", status=404)
    return membership


def _index_name(deal: Deal) -> None:
    search_index.replace(deal.workspace_id, NAME_DOMAIN, deal.pk, normalise.name_tokens(deal.name))


def _clean(workspace, data: DealData) -> DealData:
    name = (data.name or "").strip()
    if not name:
        raise DealError(_("Give the deal a name."), code="name_required", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DealError(
            _("The name is too long (at most %(max)d characters).") % {"max": NAME_MAX_LENGTH},
            code="name_too_long",
            field="name",
        )
    data.name = name
    if data.stage is None or data.stage.workspace_id != workspace.pk:
        raise DealError(_("Choose a stage of this workspace."), code="unknown_stage", field="stage")
    if data.currency not in CURRENCY_CODES:
        raise DealError(
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
            raise DealError(
                _("Enter the amount as a number."), code="invalid_amount", field="amount"
            ) from None
        if amount < 0 or amount >= Decimal("1e14") or amount != amount.quantize(Decimal("0.01")):
            raise DealError(
                _("Enter an amount from 0 with at most two decimals."),
                code="invalid_amount",
                field="amount",
            )
        data.amount = amount
    if data.probability is not None and not 0 <= int(data.probability) <= 100:
        raise DealError(
            _("Probability is a percentage from 0 to 100."),
            code="invalid_probability",
            field="probability",
        )
    for related, label in (
        (data.company, "company"),
        (data.contact, "contact"),
        (data.team, "team"),
    ):
        if related is not None and related.workspace_id != workspace.pk:
            raise DealError(_("Not found."), code=f"unknown_{label}", status=404, field=label)
    if (
        data.owner is not None
        and not Membership.objects.filter(workspace=workspace, user=data.owner).exists()
    ):
        raise DealError(
            _("The owner must be a member of this workspace."), code="unknown_owner", field="owner"
        )
    return data


def _next_position(stage: Stage) -> int:
    top = Deal.objects.filter(stage=stage).aggregate(top=Max("board_position"))["top"]
    return (top or 0) + 1


@transaction.atomic
def pipeline_create(*, actor, workspace, name: str, with_default_stages: bool = True) -> Pipeline:
    """A new pipeline, by default with the usual stages (lead … won/lost)."""
    membership = _membership(actor, workspace)
    if membership.role not in ("owner", "admin"):
        raise DealError(_("Only admins can manage pipelines."), code="forbidden", status=403)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise DealError(_("Give the pipeline a name (at most 120 characters)."), code="name")
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


@transaction.atomic
def deal_create(*, actor, workspace, data: DealData) -> Deal:
    membership = _membership(actor, workspace)
    if membership.role == "viewer":
        raise DealError(_("Viewers cannot create deals."), code="forbidden", status=403)
    data = _clean(workspace, data)
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
    )
    deal.save(force_insert=True)
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
    events.publish_on_commit("deal.created", workspace_id=workspace.pk, object_id=deal.pk)
    return deal


@transaction.atomic
def deal_update(*, actor, deal: Deal, data: DealData) -> Deal:
    membership = _membership(actor, deal.workspace)
    if not records.can_edit(membership, deal):
        raise DealError(_("You cannot change this deal."), code="forbidden", status=403)
    data = _clean(deal.workspace, data)
    if data.stage.pipeline_id != deal.pipeline_id:
        raise DealError(
            _("That stage belongs to another pipeline."), code="foreign_stage", field="stage"
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
        changed += ["stage", "board_position", "closed_at"]
    if not changed:
        return deal
    deal.save(update_fields=[*changed, "updated_at"])
    if "name" in changed:
        _index_name(deal)
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
    events.publish_on_commit("deal.updated", workspace_id=deal.workspace_id, object_id=deal.pk)
    if data.stage.pk != previous_stage:
        events.publish_on_commit(
            "deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk
        )
    return deal


def _apply_stage(deal: Deal, stage: Stage) -> None:
    deal.stage = stage
    deal.board_position = _next_position(stage)
    deal.closed_at = timezone.now() if stage.is_closed else None


@transaction.atomic
def deal_move(*, actor, deal: Deal, stage: Stage, before: Deal | None = None) -> Deal:
    """Move a deal to ``stage`` (a board drag), placed before ``before`` or at the end."""
    membership = _membership(actor, deal.workspace)
    if not records.can_edit(membership, deal):
        raise DealError(_("You cannot change this deal."), code="forbidden", status=403)
    if stage.workspace_id != deal.workspace_id:
        raise DealError(_("Not found."), code="unknown_stage", status=404)
    if stage.pipeline_id != deal.pipeline_id:
        raise DealError(_("That stage belongs to another pipeline."), code="foreign_stage")
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
            deal.closed_at = timezone.now() if stage.is_closed else None
        deal.board_position = before.board_position
    deal.save(update_fields=["stage", "board_position", "closed_at", "updated_at"])
    if stage.pk != previous_stage:
        audit.record(
            "deals.deal.stage_changed",
            actor=actor,
            workspace=deal.workspace,
            obj=deal,
            payload={"from": str(previous_stage), "to": str(stage.pk)},
        )
        events.publish_on_commit(
            "deal.stage_changed", workspace_id=deal.workspace_id, object_id=deal.pk
        )
    return deal


@transaction.atomic
def deal_delete(*, actor, deal: Deal) -> None:
    membership = _membership(actor, deal.workspace)
    if not records.can_edit(membership, deal):
        raise DealError(_("You cannot delete this deal."), code="forbidden", status=403)
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
    events.publish_on_commit("deal.deleted", workspace_id=workspace.pk, object_id=deal_id)
