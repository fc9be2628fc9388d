"""Deal screens: list, board (kanban), detail, create/edit, move, delete, pipelines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.core import policy, records
from terabox_crm.core.decorators import answer, permission_required, require_object
from terabox_crm.core.htmx import is_partial, render_page_or_partial, toast
from terabox_crm.core.models import Membership
from terabox_crm.deals import listing, selectors, services
from terabox_crm.deals.forms import DealForm
from terabox_crm.deals.models import CLOSE_REASON_MAX_LENGTH, Deal, Pipeline, Stage
from terabox_crm.lists import anatomy, bulk
from terabox_crm.refusals import Refusal

PAGE_SIZE = 50


def _deal(request, deal_id, action: str) -> Deal:
    deal = get_object_or_404(
        Deal.objects.visible_to(request.membership).select_related(
            "stage", "pipeline", "owner", "company", "contact"
        ),
        pk=deal_id,
    )
    require_object(request, action, deal)
    return deal


def _link_ids(form: DealForm) -> tuple:
    """The company and contact ids the form keeps, unless removed; the service
    decides whether this member may link them."""
    values = form.cleaned_data
    company = None if values.get("unlink_company") else values.get("company") or None
    contact = None if values.get("unlink_contact") else values.get("contact") or None
    return company, contact


def _linked(request, form: DealForm) -> dict:
    """What the form shows of its links: the name of a company or contact this
    member may read; for an id naming anything else, that a link is there."""
    from terabox_crm.contacts.models import Company, Contact

    ids = form.data if form.is_bound else form.initial
    shown = {}
    for name, model in (("company", Company), ("contact", Contact)):
        value = ids.get(name) or ""
        shown[f"linked_{name}"] = records.find_readable(request.membership, model, value)
        shown[f"{name}_unseen"] = bool(value) and shown[f"linked_{name}"] is None
    return shown


def _data(form: DealForm, company=None, contact=None, tag_ids=None) -> services.DealData:
    values = form.cleaned_data
    return services.DealData(
        tag_ids=tag_ids,
        name=values["name"],
        stage=values["stage"],
        amount=values["amount"],
        currency=values["currency"],
        expected_close_date=values["expected_close_date"],
        probability=values["probability"],
        owner=values["owner"].user,
        team=values["owner"].team,
        company=company,
        contact=contact,
    )


def _apply_error(form: DealForm, error: Refusal) -> None:
    # The company and contact are hidden ids: their errors show above the form.
    field = form.fields.get(error.field or "")
    visible = field is not None and not field.widget.is_hidden
    form.add_error(error.field if visible else None, error.message)


@permission_required("deals.view")
@require_safe
def deal_list(request):
    """The deal list in the shared list anatomy: header sorting on keyset
    pages, a capped count, filters and views (open, won, lost), bulk actions."""
    membership = request.membership
    spec = listing.DEALS
    qs = Deal.objects.visible_to(membership).select_related("stage", "owner", "company", "contact")
    query = request.GET.get("q", "").strip()[:200]
    if query:
        qs = selectors.search(membership, query).select_related(
            "stage", "owner", "company", "contact"
        )
    # Ids only in the address: a pipeline, a stage (the board's "Show more"
    # without JavaScript), an owner, a contact's or company's "See all deals".
    chosen = {}
    for name, field_name in (
        ("pipeline", "pipeline_id"),
        ("stage", "stage_id"),
        ("owner", "owner_id"),
        ("contact", "contact_id"),
        ("company", "company_id"),
    ):
        value = records.as_uuid(request.GET.get(name))
        if value is not None:
            qs = qs.filter(**{field_name: value})
            chosen[name] = str(value)
    state = request.GET.get("state", "")
    if state in Stage.Kind.values:
        qs = qs.filter(stage__kind=state)
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    count = anatomy.capped_count(qs)
    contact_selectors.preload_keys(membership.workspace_id)
    page = anatomy.keyset(qs, sort, cursor=request.GET.get("cursor", ""))
    stages = list(Stage.objects.select_related("pipeline").order_by("pipeline__name", "position"))
    stage_options = [(str(st.pk), f"{st.pipeline.name}: {st.name}") for st in stages]
    members = [
        (str(m.user_id), m.user.label)
        for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related(
            "user"
        )
    ]
    bulk_actions = []
    if policy.can(membership, "deals.change"):
        bulk_actions += [
            anatomy.BulkAction("owner", _("Assign owner"), members),
            anatomy.BulkAction("stage", _("Change stage"), stage_options),
        ]
        tags = contact_selectors.tag_choices(membership)
        if tags:
            bulk_actions += [
                anatomy.BulkAction("tag_add", _("Add tag"), tags),
                anatomy.BulkAction("tag_remove", _("Remove tag"), tags),
            ]
    if policy.can(membership, "deals.delete"):
        bulk_actions.append(anatomy.BulkAction("delete", _("Delete"), danger=True))
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter(
                "pipeline",
                _("Pipeline"),
                [(str(p.pk), p.name) for p in selectors.pipelines()],
                chosen.get("pipeline", ""),
            ),
            anatomy.Filter("stage", _("Stage"), stage_options, chosen.get("stage", "")),
            anatomy.Filter(
                "state",
                pgettext("deal filter", "Status"),
                Stage.Kind.choices,
                state if state in Stage.Kind.values else "",
            ),
            anatomy.Filter(
                "owner", pgettext("record owner", "Owner"), members, chosen.get("owner", "")
            ),
        ],
        search_label=_("Search"),
        search_placeholder=_("Whole words, e.g. 追加契約"),
        bulk_url=reverse("deals:bulk"),
        bulk_actions=bulk_actions,
        next_cursor=page.next_cursor if page.has_more else "",
    )
    context = {
        "deals": page.rows,
        "page": page,
        "lst": lst,
        "next_url": lst.next_url,
        "query": query,
        "can_add": policy.can(membership, "deals.add"),
    }
    return render(request, "deals/list.html", context)


@permission_required("deals.view")
@require_POST
def deal_bulk(request):
    """One action on the chosen deals (at most 1,000), all or nothing."""
    return bulk.respond(
        request,
        services.deal_bulk,
        url_name="deals:list",
        changed=ngettext_lazy("%(n)s deal changed.", "%(n)s deals changed.", "count"),
        deleted=ngettext_lazy("%(n)s deal deleted.", "%(n)s deals deleted.", "count"),
    )


@permission_required("deals.view")
@require_safe
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
            Deal.objects.visible_to(request.membership)
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
@require_safe
def deal_detail(request, deal_id):
    deal = _deal(request, deal_id, "deals.view")
    can_change = policy.can(request.membership, "deals.change", deal)
    stages = list(deal.pipeline.stages.all())
    # The stage bar: a won or lost stage asks why first (``?close=<stage>``,
    # a plain GET, so it works without script and from the keyboard).
    closing = None
    if can_change and _is_uuid(request.GET.get("close")):
        closing = next(
            (s for s in stages if str(s.pk) == request.GET["close"] and s.is_closed), None
        )
    return render(
        request,
        "deals/detail.html",
        {
            "deal": deal,
            "can_change": can_change,
            "stages": stages,
            "closing": closing,
            "reason_max": CLOSE_REASON_MAX_LENGTH,
            # What happened to the deal (its audit events), like a contact's page.
            "timeline": contact_selectors.timeline(deal),
        },
    )


@permission_required("deals.change")
@require_POST
def deal_stage(request, deal_id):
    """One click on the deal page's stage bar: ``stage`` and, when it closes
    the deal, ``reason`` (required for lost). Audited by the service."""
    deal = _deal(request, deal_id, "deals.change")
    stage = None
    if _is_uuid(request.POST.get("stage")):
        stage = Stage.objects.filter(pk=request.POST["stage"], pipeline=deal.pipeline).first()
    if stage is None:
        messages.error(request, _("Choose a stage of this pipeline."))
        return redirect("deals:detail", deal_id=deal.pk)
    try:
        services.deal_set_stage(
            membership=request.membership,
            deal=deal,
            stage=stage,
            reason=request.POST.get("reason", ""),
        )
    except Refusal as error:
        answer(error)
        messages.error(request, error.message)
        if stage.is_closed:
            url = reverse("deals:detail", args=[deal.pk])
            return redirect(f"{url}?close={stage.pk}#id_reason")
        return redirect("deals:detail", deal_id=deal.pk)
    messages.success(request, _("Moved to %(stage)s.") % {"stage": stage.name})
    return redirect("deals:detail", deal_id=deal.pk)


@permission_required("deals.add")
@require_http_methods(["GET", "HEAD", "POST"])
def deal_create(request):
    pipeline = None
    if request.GET.get("pipeline"):
        pipeline = get_object_or_404(Pipeline.objects.all(), pk=request.GET["pipeline"])
    form = DealForm(
        request.POST or None,
        workspace=request.workspace,
        pipeline=pipeline,
        initial={
            "owner": request.membership,
            "company": request.GET.get("company", ""),
            "contact": request.GET.get("contact", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(
                membership=request.membership,
                data=_data(form, *_link_ids(form), tag_ids=form.tag_ids(request.membership)),
            )
        except Refusal as error:  # a ValidationError too: caught first
            _apply_error(form, error)
        except ValidationError as error:  # a new tag's name
            form.add_error("new_tags", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, _("Deal created."))
            return redirect("deals:detail", deal_id=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "deals/form.html",
        {"form": form, "creating": True, **_linked(request, form)},
        status=status,
    )


@permission_required("deals.change")
@require_http_methods(["GET", "HEAD", "POST"])
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
        "company": str(deal.company_id or ""),
        "contact": str(deal.contact_id or ""),
        "tags": [str(tag.pk) for tag in deal.tags.all()],
    }
    form = DealForm(
        request.POST or None, workspace=request.workspace, pipeline=deal.pipeline, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(
                membership=request.membership,
                deal=deal,
                data=_data(form, *_link_ids(form), tag_ids=form.tag_ids(request.membership)),
            )
        except Refusal as error:  # a ValidationError too: caught first
            _apply_error(form, error)
        except ValidationError as error:  # a new tag's name
            form.add_error("new_tags", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deals:detail", deal_id=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "deals/form.html",
        {"form": form, "deal": deal, "creating": False, **_linked(request, form)},
        status=status,
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
        before = (
            Deal.objects.visible_to(request.membership).filter(pk=request.POST["before"]).first()
        )
    try:
        services.deal_move(membership=request.membership, deal=deal, stage=stage, before=before)
    except Refusal as error:
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
        services.deal_delete(membership=request.membership, deal=deal)
    except Refusal as error:
        messages.error(request, error.message)
        return redirect("deals:detail", deal_id=deal.pk)
    messages.success(request, _("Deal deleted."))
    return redirect("deals:list")


# --- Pipelines and their stages ---------------------------------------------------------
#
# Every change is a plain POST form that answers with a redirect (or, when
# refused, the page with the message beside the form), so the screen works
# without JavaScript. htmx sends the same forms and gets back only the changed
# pipeline's card, with a toast; a refusal comes back as 422 so htmx swaps the
# card with the message in it.


@dataclass
class ShownRefusal:
    """A refused change, shown beside the form that asked for it."""

    # "create", "rename", "delete", "add", or a stage's id (its edit form),
    # "<id>:move" or "<id>:delete" (its line, its delete panel)
    where: str
    message: str
    values: dict = field(default_factory=dict)  # what was typed, shown again
    pipeline_id: str = ""


def _stage_rows(
    stages: list[Stage], refusal: ShownRefusal | None, editing: str = "", deleting: str = ""
) -> list[dict]:
    rows = []
    for index, stage in enumerate(stages):
        where = refusal.where if refusal is not None else ""
        edited = where == str(stage.pk)
        values = refusal.values if edited or where == f"{stage.pk}:delete" else {}
        rows.append(
            {
                "stage": stage,
                "prefix": f"stage-{stage.pk}",  # its form's ids
                "name": values.get("name", stage.name),
                "kind": values.get("kind", stage.kind),
                "probability": values.get("probability", stage.probability),
                "target": values.get("target", ""),
                "error": refusal.message if where.split(":")[0] == str(stage.pk) else "",
                "targets": [other for other in stages if other.pk != stage.pk],
                "first": index == 0,
                "last": index == len(stages) - 1,
                # The stage's line opens its form when asked (?edit=) or refused;
                # its delete panel (the stage to move its deals to) likewise.
                "editing": edited or editing == str(stage.pk),
                "deleting": where == f"{stage.pk}:delete" or deleting == str(stage.pk),
            }
        )
    return rows


def _card(
    pipeline: Pipeline,
    refusal: ShownRefusal | None = None,
    *,
    editing: str = "",
    renaming: str = "",
    deleting: str = "",
    adding: str = "",
) -> dict:
    if refusal is not None and refusal.pipeline_id != str(pipeline.pk):
        refusal = None

    def error(where: str) -> str:
        return refusal.message if refusal is not None and refusal.where == where else ""

    values = refusal.values if refusal is not None else {}
    here = reverse("deals:pipelines")
    return {
        "pipeline": pipeline,
        "rows": _stage_rows(list(pipeline.stages.all()), refusal, editing, deleting),
        "renaming": bool(error("rename")) or renaming == str(pipeline.pk),
        "rename_url": f"{here}?rename={pipeline.pk}#pipeline-{pipeline.pk}-name",
        "add_url": f"{here}?add={pipeline.pk}#pipeline-{pipeline.pk}-add-name",
        "add_prefix": f"pipeline-{pipeline.pk}-add",
        "name": values.get("name", pipeline.name) if error("rename") else pipeline.name,
        "rename_error": error("rename"),
        "delete_error": error("delete"),
        "add_error": error("add"),
        # One "Add a stage" per pipeline: a button that opens the form as the
        # list's last line (?add=), open again when refused.
        "adding": bool(error("add")) or adding == str(pipeline.pk),
        "add": values if error("add") else {"kind": Stage.Kind.OPEN, "probability": 10},
    }


def _pipelines_page(request, *, refusal: ShownRefusal | None = None, status: int = 200):
    can_manage = policy.can(request.membership, "pipelines.manage")
    cards = [
        _card(
            pipeline,
            refusal,
            editing=request.GET.get("edit", ""),
            renaming=request.GET.get("rename", ""),
            deleting=request.GET.get("delete", ""),
            adding=request.GET.get("add", ""),
        )
        for pipeline in selectors.pipeline_overview()
    ]
    creating = refusal is not None and refusal.where == "create"
    context = {
        "cards": cards,
        "can_manage": can_manage,
        "kinds": Stage.Kind.choices,
        # "New pipeline" in the header opens its form above the pipelines
        # (?new); with no pipeline yet the form is the page's next step.
        "creating": can_manage and (creating or "new" in request.GET or not cards),
        "create_error": refusal.message if creating else "",
        "create_name": refusal.values.get("name", "") if creating else "",
    }
    return render(request, "deals/pipelines.html", context, status=status)


def _card_response(request, pipeline_id, *, refusal: ShownRefusal | None = None, status: int = 200):
    pipeline = get_object_or_404(selectors.pipeline_overview(), pk=pipeline_id)
    context = {"card": _card(pipeline, refusal), "can_manage": True, "kinds": Stage.Kind.choices}
    return render(request, "deals/partials/_pipeline.html", context, status=status)


def _managed(request, model, object_id):
    queryset = model.objects.select_related("pipeline") if model is Stage else model.objects.all()
    obj = get_object_or_404(queryset, pk=object_id)
    require_object(request, "pipelines.manage", obj)
    return obj


def _change(request, pipeline: Pipeline, where: str, change, done):
    """Run ``change()`` and answer: the card (htmx) or a redirect, or the
    refusal beside the form ``where`` it came from."""
    try:
        change()
    except Refusal as error:
        refusal = ShownRefusal(
            where=where,
            message=error.message,
            values=request.POST.dict(),
            pipeline_id=str(pipeline.pk),
        )
        if is_partial(request):
            status = 422 if error.status == 400 else error.status
            response = _card_response(request, pipeline.pk, refusal=refusal, status=status)
            return toast(response, error.message, level="error")
        return _pipelines_page(request, refusal=refusal, status=error.status)
    message = done() if callable(done) else done
    if is_partial(request):
        return toast(_card_response(request, pipeline.pk), message)
    messages.success(request, message)
    return redirect(f"{reverse('deals:pipelines')}#pipeline-{pipeline.pk}")


def _stage_data(request) -> services.StageData:
    return services.StageData(
        name=request.POST.get("name", ""),
        kind=request.POST.get("kind", ""),
        probability=request.POST.get("probability", ""),
    )


@permission_required("deals.view")
@require_http_methods(["GET", "HEAD", "POST"])
def pipeline_list(request):
    if request.method != "POST":
        return _pipelines_page(request)
    require_object(request, "pipelines.manage")
    try:
        pipeline = services.pipeline_create(
            membership=request.membership, name=request.POST.get("name", "")
        )
    except Refusal as error:
        refusal = ShownRefusal(where="create", message=error.message, values=request.POST.dict())
        return _pipelines_page(request, refusal=refusal, status=error.status)
    messages.success(request, _("Pipeline created with the usual stages."))
    return redirect(f"{reverse('deals:pipelines')}#pipeline-{pipeline.pk}")


@permission_required("pipelines.manage")
@require_POST
def pipeline_rename(request, pipeline_id):
    pipeline = _managed(request, Pipeline, pipeline_id)
    return _change(
        request,
        pipeline,
        "rename",
        lambda: services.pipeline_rename(
            membership=request.membership, pipeline=pipeline, name=request.POST.get("name", "")
        ),
        _("Pipeline renamed."),
    )


@permission_required("pipelines.manage")
@require_POST
def pipeline_delete(request, pipeline_id):
    pipeline = _managed(request, Pipeline, pipeline_id)
    try:
        services.pipeline_delete(membership=request.membership, pipeline=pipeline)
    except Refusal as error:
        refusal = ShownRefusal(where="delete", message=error.message, pipeline_id=str(pipeline.pk))
        return _pipelines_page(request, refusal=refusal, status=error.status)
    messages.success(request, _("Pipeline deleted."))
    return redirect("deals:pipelines")


@permission_required("pipelines.manage")
@require_POST
def stage_add(request, pipeline_id):
    pipeline = _managed(request, Pipeline, pipeline_id)
    added = []
    return _change(
        request,
        pipeline,
        "add",
        lambda: added.append(
            services.stage_add(
                membership=request.membership, pipeline=pipeline, data=_stage_data(request)
            )
        ),
        lambda: _("Stage “%(name)s” added.") % {"name": added[0].name},
    )


@permission_required("pipelines.manage")
@require_POST
def stage_edit(request, stage_id):
    stage = _managed(request, Stage, stage_id)
    return _change(
        request,
        stage.pipeline,
        str(stage.pk),
        lambda: services.stage_update(
            membership=request.membership, stage=stage, data=_stage_data(request)
        ),
        lambda: _("Stage “%(name)s” saved.") % {"name": stage.name},
    )


@permission_required("pipelines.manage")
@require_POST
def stage_move(request, stage_id):
    stage = _managed(request, Stage, stage_id)
    return _change(
        request,
        stage.pipeline,
        f"{stage.pk}:move",
        lambda: services.stage_move(
            membership=request.membership, stage=stage, direction=request.POST.get("direction", "")
        ),
        lambda: (
            _("“%(name)s” is now stage %(position)d.")
            % {"name": stage.name, "position": stage.position}
        ),
    )


@permission_required("pipelines.manage")
@require_POST
def stage_delete(request, stage_id):
    stage = _managed(request, Stage, stage_id)
    name = stage.name
    target_id = request.POST.get("target", "")
    target = None
    if target_id:
        # Another workspace's stage is not found here, as in the URL.
        target = Stage.objects.filter(pk=target_id).first() if _is_uuid(target_id) else None
        if target is None:
            raise Http404
    return _change(
        request,
        stage.pipeline,
        f"{stage.pk}:delete",
        lambda: services.stage_delete(
            membership=request.membership, stage=stage, move_deals_to=target
        ),
        lambda: _("Stage “%(name)s” deleted.") % {"name": name},
    )
