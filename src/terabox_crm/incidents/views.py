"""Incident screens (S13): the register, an incident with its clocks,
timeline, who is affected and the campaign, the report draft; and the public
notice page under ``/notices/`` (no sign-in).

Every staff view goes through the one policy (``permission_required``);
an incident of another workspace is a 404 (``selectors.incident`` reads the
member's workspace only). Sending the campaign and publishing need a fresh
step-up (S4): they reach many people at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm import audit
from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core import members, policy
from terabox_crm.core.decorators import answer, permission_required
from terabox_crm.incidents import clocks, listing, report, selectors, services
from terabox_crm.incidents.forms import IncidentForm, TimelineForm
from terabox_crm.incidents.models import AffectedKind, Decision, Severity, Status
from terabox_crm.inventory import Category
from terabox_crm.lists import anatomy
from terabox_crm.refusals import Refusal


def _incident(request, incident_id):
    found = selectors.incident(request.membership, incident_id)
    if found is None:
        raise Http404
    return found


def _language() -> str:
    return "ja" if (get_language() or "ja").startswith("ja") else "en"


def _refused(request, refusal: Refusal) -> None:
    if refusal.status in (403, 404):
        answer(refusal)
    messages.error(request, refusal.message)


@permission_required("incidents.view")
@require_safe
def incident_list(request):
    """The register in the shared list anatomy (docs/ui.md "Lists",
    "Incident register"): open incidents by default, each with its next report
    deadline in words; views, filters, header sorting on keyset pages and a
    capped count."""
    membership = request.membership
    spec = listing.INCIDENTS
    status = request.GET.get("status", "")
    if status not in (*Status.values, listing.ALL_STATUSES):
        status = ""
    severity = request.GET.get("severity", "")
    if severity not in Severity.values:
        severity = ""
    mine = request.GET.get("mine") == "1"
    qs = selectors.register(membership, status=status, severity=severity, mine=mine)
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    count = anatomy.capped_count(qs)
    page = anatomy.keyset(qs, sort, cursor=request.GET.get("cursor", ""))
    statuses = [
        (listing.ALL_STATUSES, pgettext("incident view", "Every incident")),
        *Status.choices,
    ]
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter(
                "status", _("Status"), statuses, status, empty=pgettext("incident view", "Open")
            ),
            anatomy.Filter(
                "severity", pgettext("incident", "Severity"), Severity.choices, severity
            ),
            anatomy.Filter(
                "mine",
                _("Handled by"),
                [("1", pgettext("incident view", "Me"))],
                "1" if mine else "",
            ),
        ],
        search_label=None,
        next_cursor=page.next_cursor if page.has_more else "",
    )
    rows = [(incident, clocks.next_due(clocks.clocks(incident))) for incident in page.rows]
    return render(
        request,
        "incidents/list.html",
        {
            "rows": rows,
            "page": page,
            "lst": lst,
            "filtered": bool(status or severity or mine),
            "can_manage": policy.can(membership, "incidents.manage"),
        },
    )


def _initial(incident) -> dict:
    initial = {
        name: getattr(incident, name)
        for name in (
            "title",
            "severity",
            "status",
            "detected_at",
            "source",
            "window_start",
            "window_end",
            "data_categories",
            *services.TEXT_FIELDS,
            "malicious",
            "appi_applies",
            "gdpr_applies",
            "preliminary_days",
            *services.REPORTED_FIELDS,
            *services.NOTICE_FIELDS,
        )
    }
    by_user = {
        membership.user_id: membership.pk
        for membership in members.members(incident.workspace_id).filter(
            user_id__in=[incident.owner_id, incident.source_user_id]
        )
    }
    initial["owner"] = by_user.get(incident.owner_id)
    initial["source_user"] = by_user.get(incident.source_user_id)
    for name in ("detected_at", "window_start", "window_end", *services.REPORTED_FIELDS):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name]).strftime("%Y-%m-%dT%H:%M")
    return initial


def _apply_refusal(form, refusal: Refusal) -> None:
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


@permission_required("incidents.manage")
@require_http_methods(["GET", "HEAD", "POST"])
def incident_create(request):
    workspace = request.membership.workspace
    form = IncidentForm(
        request.POST or None,
        workspace=workspace,
        initial={
            "detected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "severity": "high",
            "appi_applies": True,
            "gdpr_applies": True,
            "preliminary_days": clocks.default_preliminary_days(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(membership=request.membership, values=form.values())
        except Refusal as refusal:
            _apply_refusal(form, refusal)
        else:
            messages.success(
                request, _("Incident #%(number)d opened.") % {"number": incident.number}
            )
            return redirect("incidents:detail", incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/form.html", {"form": form, "incident": None}, status=status)


@permission_required("incidents.manage")
@require_http_methods(["GET", "HEAD", "POST"])
def incident_edit(request, incident_id):
    incident = _incident(request, incident_id)
    form = IncidentForm(
        request.POST or None, workspace=request.membership.workspace, initial=_initial(incident)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                membership=request.membership, incident=incident, values=form.values()
            )
        except Refusal as refusal:
            if refusal.status in (403, 404):
                answer(refusal)
            _apply_refusal(form, refusal)
        else:
            messages.success(request, _("Incident saved."))
            return redirect("incidents:detail", incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "incidents/form.html", {"form": form, "incident": incident}, status=status
    )


@permission_required("incidents.view")
@require_safe
def incident_detail(request, incident_id):
    incident = _incident(request, incident_id)
    services.deliveries_refresh(incident)
    kind = request.GET.get("kind", AffectedKind.PERSON)
    if kind not in AffectedKind.values:
        kind = AffectedKind.PERSON
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    items, more = selectors.affected_page(incident, kind=kind, page=page)
    membership = request.membership
    summary = selectors.affected_summary(incident)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "clocks": clocks.clocks(incident),
            "timeline": list(incident.timeline.select_related("author")),
            "timeline_form": TimelineForm(),
            "summary_rows": [
                (value, label, summary[value]) for value, label in AffectedKind.choices
            ],
            "category_labels": [
                Category(value).label
                for value in incident.data_categories
                if value in Category.values
            ],
            "kind": kind,
            "items": items,
            "page": page,
            "more": more,
            "deliveries": selectors.delivery_summary(incident),
            "refused": selectors.refused_deliveries(incident),
            "can_manage": policy.can(membership, "incidents.manage", incident),
            "can_notify": policy.can(membership, "incidents.notify", incident),
            "decisions": Decision,
            "closed": incident.status == Status.CLOSED,
        },
    )


@permission_required("incidents.manage")
@require_POST
def timeline_add(request, incident_id):
    incident = _incident(request, incident_id)
    form = TimelineForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_add(
                membership=request.membership,
                incident=incident,
                text=form.cleaned_data["text"],
                at=form.cleaned_data.get("at"),
            )
            messages.success(request, _("Added to the timeline."))
        except Refusal as refusal:
            _refused(request, refusal)
    else:
        messages.error(request, _("Write what happened."))
    return redirect("incidents:detail", incident.pk)


@permission_required("incidents.manage")
@require_POST
def affected_compute(request, incident_id):
    incident = _incident(request, incident_id)
    try:
        counts = services.affected_compute(membership=request.membership, incident=incident)
    except Refusal as refusal:
        _refused(request, refusal)
    else:
        messages.success(
            request,
            _("Found %(people)d people, %(users)d users and %(records)d records.")
            % {
                "people": counts[AffectedKind.PERSON],
                "users": counts[AffectedKind.USER],
                "records": counts[AffectedKind.RECORD],
            },
        )
    return redirect("incidents:detail", incident.pk)


@permission_required("incidents.manage")
@require_POST
def affected_review(request, incident_id):
    incident = _incident(request, incident_id)
    items = request.POST.getlist("item")
    try:
        count = services.affected_review(
            membership=request.membership,
            incident=incident,
            decision=request.POST.get("decision", ""),
            item_ids=None if request.POST.get("all") == "1" else items,
        )
    except Refusal as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, _("%(count)d reviewed.") % {"count": count})
    kind = request.POST.get("kind", "")
    target = redirect("incidents:detail", incident.pk)
    if kind in AffectedKind.values:
        target["Location"] += f"?kind={kind}#affected"
    return target


@permission_required("incidents.notify")
@require_POST
@step_up_required
def campaign_send(request, incident_id):
    incident = _incident(request, incident_id)
    try:
        result = services.campaign_send(membership=request.membership, incident=incident)
    except Refusal as refusal:
        _refused(request, refusal)
    else:
        messages.success(
            request,
            _("%(emails)d emails queued and %(notices)d in-app notices sent; %(refused)d not sent.")
            % {
                "emails": result.queued,
                "notices": result.in_app,
                "refused": sum(result.refused.values()),
            },
        )
    return redirect("incidents:detail", incident.pk)


@permission_required("incidents.notify")
@require_POST
@step_up_required
def notice_publish(request, incident_id):
    incident = _incident(request, incident_id)
    publish = request.POST.get("publish", "1") == "1"
    try:
        services.notice_publish(membership=request.membership, incident=incident, publish=publish)
    except Refusal as refusal:
        _refused(request, refusal)
    else:
        messages.success(
            request,
            _("The notice is on the public notices page.")
            if publish
            else _("The notice was withdrawn."),
        )
    return redirect("incidents:detail", incident.pk)


@permission_required("incidents.view")
@require_safe
def report_draft(request, incident_id):
    incident = _incident(request, incident_id)
    language = request.GET.get("lang") or _language()
    if language not in ("ja", "en"):
        language = _language()
    audit.record(
        "incidents.report.viewed",
        actor=request.user,
        workspace=incident.workspace_id,
        obj=incident,
        payload={"language": language, "format": request.GET.get("format", "html")},
    )
    if request.GET.get("format") == "txt":
        response = HttpResponse(
            report.as_text(incident, language), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="incident-{incident.number}-{language}.txt"'
        )
        return response
    return render(
        request,
        "incidents/report.html",
        {
            "incident": incident,
            "sections": report.sections(incident, language),
            "text": report.as_text(incident, language),
            "report_language": language,
        },
    )


# --- Public ----------------------------------------------------------------------------


@require_safe
def notice_detail(request, incident_id):
    """One incident's public announcement (no sign-in, no personal data)."""
    incident = selectors.public_notice(incident_id)
    if incident is None:
        raise Http404
    return render(
        request,
        "incidents/notice.html",
        {"incident": incident, "notice": selectors.notice_text(incident, _language())},
    )
