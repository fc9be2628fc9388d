"""Deal screens: list, board (kanban), detail, create/edit, move, delete, pipelines."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required, record_denial
from terabox_crm.deals import selectors, services
from terabox_crm.deals.errors import DealError
from terabox_crm.deals.forms import DealForm
from terabox_crm.deals.models import Deal, Pipeline, Stage
from terabox_crm.web.htmx import is_partial, render_page_or_partial, toast

PAGE_SIZE = 50


def _deal(request, deal_id, action: str) -> Deal:
    deal = get_object_or_404(
        selectors.visible(request.membership).select_related("stage", "pipeline", "owner"),
        pk=deal_id,
    )
    if not policy.can(request.membership, action, deal):
        record_denial(request, action, deal)
        raise PermissionDenied
    return deal


def _data(form: DealForm) -> services.DealData:
    values = form.cleaned_data
    return services.DealData(
        name=values["name"],
        stage=values["stage"],
        amount=values["amount"],
        currency=values["currency"],
        expected_close_date=values["expected_close_date"],
        probability=values["probability"],
        owner=values["owner"].user,
        team=values["owner"].team,
    )


def _apply_error(form: DealForm, error: DealError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@permission_required("deals.view")
def deal_list(request):
    """Newest first, keyset-paginated on (updated_at, id); no COUNT over the table."""
    qs = selectors.visible(request.membership).select_related("stage", "owner")
    query = request.GET.get("q", "").strip()
    if query:
        qs = selectors.search(request.membership, query).select_related("stage", "owner")
    pipeline_id = request.GET.get("pipeline")
    if _is_uuid(pipeline_id):
        qs = qs.filter(pipeline_id=pipeline_id)
    # The board's "Show more" without JavaScript lands here, one stage's deals.
    stage_id = request.GET.get("stage")
    if _is_uuid(stage_id):
        qs = qs.filter(stage_id=stage_id)
    after = request.GET.get("after", "")
    if after:
        moment, _sep, last_id = after.partition("|")
        parsed = parse_datetime(moment) if moment else None
        if parsed is None or not last_id:
            raise Http404
        qs = qs.filter(updated_at__lte=parsed).exclude(updated_at=parsed, id__gte=last_id)
    rows = list(qs.order_by("-updated_at", "-id")[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_cursor = f"{rows[-1].updated_at.isoformat()}|{rows[-1].pk}" if has_more and rows else ""
    context = {
        "deals": rows,
        "has_more": has_more,
        "next_cursor": next_cursor,
        "query": query,
        "pipelines": selectors.pipelines(),
        "pipeline_id": pipeline_id or "",
        "stage_id": stage_id if _is_uuid(stage_id) else "",
        "can_add": policy.can(request.membership, "deals.add"),
    }
    return render_page_or_partial(request, "deals/list.html", "deals/partials/_rows.html", context)


@permission_required("deals.view")
@require_GET
def board(request, pipeline_id=None):
    # Resolve the requested pipeline first: another workspace's id is a 404
    # even when this workspace has no pipeline at all.
    requested = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id) if pipeline_id else None
    pipelines = list(selectors.pipelines())
    if not pipelines:
        return render(request, "deals/board.html", {"pipelines": [], "columns": []})
    pipeline = requested or pipelines[0]
    if requested and "after" in request.GET:
        return _board_more(request, pipeline)
    context = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "columns": selectors.board(request.membership, pipeline),
        "can_move": policy.can(request.membership, "deals.change"),
    }
    return render_page_or_partial(
        request, "deals/board.html", "deals/partials/_board.html", context
    )


def _board_more(request, pipeline):
    """The next cards of one column ("Show more"): ``?stage=…&after=<deal>``."""
    stage = after = None
    if _is_uuid(request.GET.get("stage")) and _is_uuid(request.GET.get("after")):
        stage = Stage.objects.filter(pk=request.GET["stage"], pipeline=pipeline).first()
        after = (
            selectors.visible(request.membership)
            .filter(pk=request.GET["after"], pipeline=pipeline, stage=stage)
            .first()
        )
    if stage is None or after is None:
        raise Http404
    column = selectors.column_page(request.membership, pipeline, stage, after)
    return render(
        request,
        "deals/partials/_board_cards.html",
        {"column": column, "can_move": policy.can(request.membership, "deals.change")},
    )


@permission_required("deals.view")
def deal_detail(request, deal_id):
    from terabox_crm.activities import selectors as activity_selectors

    deal = _deal(request, deal_id, "deals.view")
    log_url = ""
    if policy.can(request.membership, "activities.add"):
        log_url = f"{reverse('activities:activity_create')}?deal={deal.pk}"
    return render(
        request,
        "deals/detail.html",
        {
            "deal": deal,
            "activities": activity_selectors.timeline(request.membership, deal=deal),
            "log_url": log_url,
            "can_change": policy.can(request.membership, "deals.change", deal),
        },
    )


@permission_required("deals.add")
def deal_create(request):
    pipeline = None
    if request.GET.get("pipeline"):
        pipeline = get_object_or_404(Pipeline.objects.all(), pk=request.GET["pipeline"])
    form = DealForm(
        request.POST or None,
        workspace=request.workspace,
        pipeline=pipeline,
        initial={"owner": request.membership},
    )
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(
                actor=request.user, workspace=request.workspace, data=_data(form)
            )
        except DealError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("Deal created."))
            return redirect("deals:detail", deal_id=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deals/form.html", {"form": form, "creating": True}, status=status)


@permission_required("deals.change")
def deal_edit(request, deal_id):
    deal = _deal(request, deal_id, "deals.change")
    initial = {
        "name": deal.name,
        "stage": deal.stage,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "probability": deal.probability,
        "owner": request.membership.__class__.objects.filter(
            workspace=request.workspace, user=deal.owner
        ).first(),
    }
    form = DealForm(
        request.POST or None, workspace=request.workspace, pipeline=deal.pipeline, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(actor=request.user, deal=deal, data=_data(form))
        except DealError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deals:detail", deal_id=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "deals/form.html", {"form": form, "deal": deal, "creating": False}, status=status
    )


@permission_required("deals.change")
@require_POST
def deal_move(request, deal_id):
    """A board move: ``stage`` and optionally ``before`` (the card it is dropped above)."""
    deal = _deal(request, deal_id, "deals.change")
    stage = None
    if _is_uuid(request.POST.get("stage")):
        stage = Stage.objects.filter(pk=request.POST["stage"]).first()
    if stage is None:
        return _move_refused(request, deal, _("Choose a stage of this pipeline."), 400)
    before = None
    if _is_uuid(request.POST.get("before")):
        before = selectors.visible(request.membership).filter(pk=request.POST["before"]).first()
    try:
        services.deal_move(actor=request.user, deal=deal, stage=stage, before=before)
    except DealError as error:
        return _move_refused(request, deal, error.message, error.status)
    if is_partial(request):
        response = render(
            request,
            "deals/partials/_board.html",
            {
                "pipeline": deal.pipeline,
                "columns": selectors.board(request.membership, deal.pipeline),
                "can_move": True,
            },
        )
        return toast(response, _("Moved to %(stage)s.") % {"stage": stage.name})
    messages.success(request, _("Moved to %(stage)s.") % {"stage": stage.name})
    return redirect("deals:board_pipeline", pipeline_id=deal.pipeline_id)


def _move_refused(request, deal, message: str, status: int):
    if is_partial(request):
        response = render(
            request,
            "deals/partials/_board.html",
            {
                "pipeline": deal.pipeline,
                "columns": selectors.board(request.membership, deal.pipeline),
                "can_move": True,
            },
            status=200,
        )
        return toast(response, message, level="error")
    messages.error(request, message)
    return redirect("deals:board_pipeline", pipeline_id=deal.pipeline_id)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@permission_required("deals.delete")
@require_POST
def deal_delete(request, deal_id):
    deal = _deal(request, deal_id, "deals.delete")
    try:
        services.deal_delete(actor=request.user, deal=deal)
    except DealError as error:
        messages.error(request, error.message)
        return redirect("deals:detail", deal_id=deal.pk)
    messages.success(request, _("Deal deleted."))
    return redirect("deals:list")


@permission_required("deals.view")
def pipeline_list(request):
    can_manage = policy.can(request.membership, "pipelines.manage")
    error = None
    if request.method == "POST":
        if not can_manage:
            record_denial(request, "pipelines.manage")
            raise PermissionDenied
        try:
            services.pipeline_create(
                actor=request.user, workspace=request.workspace, name=request.POST.get("name", "")
            )
        except DealError as exc:
            error = exc.message
        else:
            messages.success(request, _("Pipeline created with the usual stages."))
            return redirect("deals:pipelines")
    return render(
        request,
        "deals/pipelines.html",
        {"pipelines": selectors.pipelines(), "can_manage": can_manage, "error": error},
        status=400 if error else 200,
    )
