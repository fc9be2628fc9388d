"""Privacy pages (P1, P2, P4, P7): the data inventory; the purposes; recording
a contact's consent or withdrawal; restricting a contact's use and lifting it
(step-up, S4); reading a consent evidence file; the third-party receipt and
provision records for auditors.

The contact is named by its id only: the engine never imports the contacts
app, and ``subjects.readable`` answers whether the member may read that
person (else a 404, as for a missing record).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required
from terabox_crm.privacy import selectors, services, subjects
from terabox_crm.privacy.forms import ConsentForm, LiftForm, PurposeForm, RestrictionForm
from terabox_crm.privacy.models import ConsentEvidenceFile

PAGE_SIZE = 50


@permission_required("privacy.inventory.view")
@require_safe
def inventory_page(request):
    groups = selectors.inventory_by_category()
    return render(
        request,
        "privacy/inventory.html",
        {"groups": groups, "field_count": sum(len(group.rows) for group in groups)},
    )


def _readable_contact(request, contact_id):
    if contact_id not in subjects.readable(request.membership, [contact_id]):
        raise Http404
    return contact_id


def _contact_url(contact_id) -> str:
    return reverse("contacts:detail", args=[contact_id])


@permission_required("privacy.consent.record")
@require_http_methods(["GET", "HEAD", "POST"])
def consent_record(request, contact_id):
    _readable_contact(request, contact_id)
    workspace = request.membership.workspace
    form = ConsentForm(request.POST or None, request.FILES or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        record = services.consent_grant if values["kind"] == "grant" else services.consent_withdraw
        try:
            record(
                membership=request.membership,
                subject_id=contact_id,
                purpose=values["purpose"],
                channel=values["channel"],
                occurred_at=values["occurred_at"],
                evidence=values["evidence"],
                evidence_file=values["evidence_file"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The consent ledger was updated."))
            return redirect(_contact_url(contact_id) + "#privacy-title")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "privacy/consent_form.html",
        {"form": form, "contact_url": _contact_url(contact_id)},
        status=status,
    )


@permission_required("privacy.restriction.set")
@require_http_methods(["GET", "HEAD", "POST"])
def restriction_set(request, contact_id):
    _readable_contact(request, contact_id)
    form = RestrictionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.restriction_set(
                membership=request.membership,
                subject_id=contact_id,
                reason=form.cleaned_data["reason"],
                requested_by=form.cleaned_data["requested_by"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The use of this contact's data is restricted."))
            return redirect(_contact_url(contact_id))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "privacy/restriction_form.html",
        {"form": form, "contact_url": _contact_url(contact_id), "lifting": False},
        status=status,
    )


@permission_required("privacy.restriction.lift")
@step_up_required
@require_http_methods(["GET", "HEAD", "POST"])
def restriction_lift(request, contact_id):
    _readable_contact(request, contact_id)
    restriction = selectors.active_restriction(request.membership.workspace, contact_id)
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.restriction_lift(
                membership=request.membership,
                subject_id=contact_id,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The restriction was lifted."))
            return redirect(_contact_url(contact_id))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "privacy/restriction_form.html",
        {
            "form": form,
            "contact_url": _contact_url(contact_id),
            "lifting": True,
            "restriction": restriction,
        },
        status=status,
    )


@permission_required("privacy.consent.view")
@require_safe
def evidence_download(request, evidence_id):
    evidence = get_object_or_404(
        ConsentEvidenceFile.objects.select_related("event").filter(
            workspace_id=request.membership.workspace_id
        ),
        pk=evidence_id,
    )
    _readable_contact(request, evidence.event.subject_id)
    content = services.evidence_file_content(request.membership, evidence)
    response = HttpResponse(content, content_type=evidence.content_type)
    response["Content-Disposition"] = "attachment"
    response["Cache-Control"] = "no-store"
    return response


@permission_required("privacy.purposes.view")
@require_http_methods(["GET", "HEAD", "POST"])
def purposes_page(request):
    can_manage = policy.can(request.membership, "privacy.purposes.manage")
    form = PurposeForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                services.purpose_create(membership=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The purpose was added."))
                return redirect("privacy:purposes")
    status = 400 if form is not None and form.is_bound else 200
    return render(
        request,
        "privacy/purposes.html",
        {"purposes": selectors.purposes(request.membership.workspace), "form": form},
        status=status,
    )


@permission_required("privacy.records.view")
@require_safe
def records_page(request):
    workspace = request.membership.workspace
    kind = request.GET.get("kind", "provisions")
    if kind not in {"provisions", "receipts"}:
        kind = "provisions"
    rows = (
        selectors.provisions(workspace) if kind == "provisions" else selectors.receipts(workspace)
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/records.html", {"page": page, "kind": kind})
