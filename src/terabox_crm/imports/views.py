"""Import screens (SPEC §2, P4): the upload a list's Import button opens,
the column mapping with the source and the duplicate rule, the dry run's
and the run's results with a progress bar, and the report of every row.

The policy decides who may (``imports.*``); the services decide the rest,
and a refusal shows its translated message with nothing changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from terabox_crm.core import policy
from terabox_crm.core.decorators import answer, permission_required, require_object
from terabox_crm.core.htmx import passive
from terabox_crm.imports import reasons, selectors, services, storage, uploads
from terabox_crm.imports.forms import MappingForm, UploadForm
from terabox_crm.imports.models import Import, Resource, Status
from terabox_crm.imports.report import report_lines
from terabox_crm.imports.uploads import with_private_uploads
from terabox_crm.refusals import Refusal

LIST_URLS = {Resource.CONTACTS: "contacts:list", Resource.COMPANIES: "companies:list"}


def _import(request, import_id) -> Import:
    try:
        return selectors.imports_for(request.membership).get(pk=import_id)
    except Import.DoesNotExist:
        answer(Refusal(_("Not found."), code="not_found", status=404))
        raise  # pragma: no cover - answer raised


def _shown(form, error: Refusal) -> None:
    if error.status in (403, 404):
        answer(error)
    name = error.field if error.field in form.fields else None
    form.add_error(name, error.text)


@with_private_uploads
@permission_required("imports.create")
@require_http_methods(["GET", "HEAD", "POST"])
def import_new(request):
    """Upload a file: it is sealed, its header row read and mapped."""
    resource = request.GET.get("resource", Resource.CONTACTS)
    if resource not in Resource.values:
        resource = Resource.CONTACTS
    form = UploadForm(request.POST or None, request.FILES or None, initial={"resource": resource})
    if request.method == "POST" and uploads.too_large(request):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", services.too_large_refusal(settings.MAX_IMPORT_BODY_BYTES).text)
    elif request.method == "POST" and form.is_valid():
        try:
            item = services.import_upload(
                membership=request.membership,
                resource=form.cleaned_data["resource"],
                upload=form.cleaned_data["file"],
                limit=settings.MAX_IMPORT_BODY_BYTES,
            )
        except Refusal as error:
            _shown(form, error)
        else:
            return redirect("imports:detail", import_id=item.pk)
    return render(
        request,
        "imports/new.html",
        {
            "form": form,
            "resource": resource,
            "list_url": LIST_URLS[Resource(resource)],
            "limit_mb": settings.MAX_IMPORT_BODY_BYTES // (1024 * 1024),
        },
        status=400 if form.errors else 200,
    )


@permission_required("imports.view")
@require_safe
def import_list(request):
    rows = list(selectors.imports_for(request.membership)[:100])
    return render(
        request,
        "imports/list.html",
        {"imports": rows, "can_create": policy.can(request.membership, "imports.create")},
    )


def _issues(item: Import) -> list[dict]:
    return [
        {
            "number": row.number,
            "outcome": row.get_outcome_display(),
            "outcome_code": row.outcome,
            "reason": reasons.reason(row.code) if row.code else "",
            "field": reasons.field_label(item.resource, row.field),
            "suppressed": row.suppressed,
        }
        for row in selectors.issues_of(item)
    ]


def _context(request, item: Import, form=None) -> dict:
    headers = storage.headers_of(item)
    if form is None and item.is_configurable:
        receipt = storage.stored_json(item.receipt, {})
        form = MappingForm(
            resource=item.resource,
            headers=headers,
            mapping=item.mapping,
            initial={"source": item.source, "on_duplicate": item.on_duplicate, **receipt},
        )
    return {
        "item": item,
        "form": form,
        "issues": _issues(item)
        if item.status in (Status.CHECKED, Status.DONE, Status.FAILED)
        else [],
        "list_url": LIST_URLS[Resource(item.resource)],
        "can_run": item.is_configurable
        and policy.can(request.membership, "imports.create")
        and str(item.requested_by_id) == str(request.membership.user_id),
    }


@with_private_uploads
@permission_required("imports.view")
@require_http_methods(["GET", "HEAD", "POST"])
def import_detail(request, import_id):
    """The mapping and options (before a run), the progress, the results."""
    item = _import(request, import_id)
    require_object(request, "imports.view", item)
    if request.method != "POST":
        return render(request, "imports/detail.html", _context(request, item))
    require_object(request, "imports.create")
    form = MappingForm(
        request.POST, resource=item.resource, headers=storage.headers_of(item), mapping=item.mapping
    )
    if form.is_valid():
        dry_run = request.POST.get("run") != "real"
        try:
            services.import_start(
                membership=request.membership,
                import_id=item.pk,
                mapping=form.mapping(),
                source=form.cleaned_data.get("source") or "import",
                on_duplicate=form.cleaned_data["on_duplicate"],
                receipt=form.receipt(),
                dry_run=dry_run,
            )
        except Refusal as error:
            _shown(form, error)
        else:
            if dry_run:
                messages.info(request, _("The dry run has started: nothing is written."))
            else:
                messages.success(request, _("The import has started."))
            return redirect("imports:detail", import_id=item.pk)
    return render(request, "imports/detail.html", _context(request, item, form), status=400)


@passive
@permission_required("imports.view")
@require_safe
def import_progress(request, import_id):
    """The progress bar's partial, polled while the import runs (background
    polling: not user activity, like the bell)."""
    item = _import(request, import_id)
    require_object(request, "imports.view", item)
    response = render(request, "imports/partials/_progress.html", _context(request, item))
    if not item.is_active and request.headers.get("HX-Request"):
        # The run ended while the page polled: reload it whole, so the
        # mapping form comes back after a dry run (htmx's HX-Refresh).
        response["HX-Refresh"] = "true"
    return response


@permission_required("imports.view")
@require_safe
def import_report(request, import_id):
    item = _import(request, import_id)
    require_object(request, "imports.view", item)
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in report_lines(item)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = dateformat.format(timezone.localtime(item.created_at), "Ymd-Hi")  # a file name
    response["Content-Disposition"] = f'attachment; filename="import-report-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
