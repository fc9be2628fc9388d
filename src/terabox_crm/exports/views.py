"""Export screens (S4, S5): the export form a list's button opens, the
export's page with its progress bar, the approval by a second admin, the
one download, and the owners' threshold.

Asking for an export, approving one and downloading it need a fresh step-up
(``accounts.stepup``: password and second factor in the last 5 minutes). The
policy decides who may (``exports.*``); the services decide the rest, and a
refusal shows its translated message with nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core import policy
from terabox_crm.core.decorators import answer, permission_required, require_object
from terabox_crm.core.htmx import passive
from terabox_crm.exports import resources, selectors, services, writers
from terabox_crm.exports.forms import ExportForm, SettingsForm
from terabox_crm.exports.models import Export, Status
from terabox_crm.refusals import Refusal


def _export(request, export_id) -> Export:
    try:
        return selectors.exports_for(request.membership).get(pk=export_id)
    except Export.DoesNotExist:
        answer(Refusal(_("Not found."), code="not_found", status=404))
        raise  # pragma: no cover - answer raised


def _shown(form, error: Refusal) -> None:
    if error.status in (403, 404):
        answer(error)
    name = error.field if error.field in form.fields else None
    form.add_error(name, error.text)


@permission_required("exports.create")
@step_up_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_new(request):
    """The form a list's Export button opens, with the list's query string:
    the rows it matches and what the purpose gate leaves out, then the export."""
    membership = request.membership
    found = resources.RESOURCES.get(request.GET.get("resource", ""))
    if found is None:
        answer(Refusal(_("Not found."), code="not_found", status=404))
    require_object(request, found.permission)
    params = resources.clean_params(found, request.GET)
    purposes = selectors.purposes_of(membership)
    columns = [(column.key, column.label) for column in found.columns]
    chosen = request.POST.get("purpose") or request.GET.get("purpose") or purposes[0][0]
    form = ExportForm(
        request.POST or None,
        purposes=purposes,
        columns=columns,
        initial={"purpose": chosen, "fields": [key for key, _label in columns]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.export_request(
                membership=membership,
                resource=found.code,
                format=form.cleaned_data["format"],
                purpose=form.cleaned_data["purpose"],
                params=params,
                fields=form.cleaned_data["fields"],
                recipient=form.cleaned_data["recipient"],
            )
        except Refusal as error:
            _shown(form, error)
        else:
            messages.success(
                request,
                _(
                    "Export asked: its rows are being counted. It is then prepared, "
                    "or waits for another admin's approval if it is large."
                ),
            )
            return redirect("exports:detail", guarded_export_id=item.pk)
    counted = None
    try:
        # A bounded count (the export's job counts every row): the form opens
        # in the same time at 10,000 rows as at a million.
        counted = services.preview(
            membership=membership,
            resource=found.code,
            params=params,
            purpose=chosen,
            limit=services.PREVIEW_LIMIT,
        )
    except Refusal as error:
        _shown(form, error)
    return render(
        request,
        "exports/new.html",
        {
            "form": form,
            "resource": found,
            "params": params,
            "preview": counted,
            "reasons": _reasons(counted.excluded if counted else {}),
            "threshold": services.settings_of(membership.workspace_id).approval_threshold,
            "preview_limit": services.PREVIEW_LIMIT,
            "list_url": reverse(found.list_url),
            "chosen": chosen,
        },
        status=400 if form.errors else 200,
    )


def _reasons(counts) -> list[tuple[str, int]]:
    """Reason codes with their counts, as sentences in the active language."""
    labels = {
        "no_consent": _("no consent for this purpose"),
        "withdrawn": _("consent withdrawn"),
        "restricted": _("use restricted"),
        "erased": pgettext("gate reason", "erased"),
        "unknown_subject": _("no longer in the workspace"),
    }
    return [(labels.get(code, code), count) for code, count in sorted((counts or {}).items())]


@permission_required("exports.view")
@require_safe
def export_list(request):
    rows = list(selectors.exports_for(request.membership)[:100])
    return render(
        request,
        "exports/list.html",
        {
            "exports": rows,
            "can_settings": policy.can(request.membership, "exports.settings"),
        },
    )


def _detail_context(request, item: Export) -> dict:
    membership = request.membership
    mine = str(item.requested_by_id) == str(membership.user_id)
    return {
        "export": item,
        "resource": resources.RESOURCES.get(item.resource),
        "mine": mine,
        "can_approve": item.status == Status.AWAITING_APPROVAL
        and not mine
        and policy.can(membership, "exports.approve", item),
        "can_download": mine
        and item.status == Status.READY
        and item.expires_at is not None
        and item.expires_at > timezone.now(),
        "reasons_before": _reasons(item.excluded_before),
        "failure": item.failure_text,
        "reasons_after": _reasons(item.excluded),
        "column_labels": _column_labels(item),
    }


def _column_labels(item: Export) -> list:
    """The export's columns by their labels in the page's language, never the
    stored keys (``family_name``); a key the resource no longer has is shown
    as it is."""
    found = resources.RESOURCES.get(item.resource)
    labels = {column.key: column.label for column in found.columns} if found else {}
    return [labels.get(key, key) for key in item.fields or ()]


@permission_required("exports.view")
@require_safe
def export_detail(request, guarded_export_id):
    item = _export(request, guarded_export_id)
    require_object(request, "exports.view", item)
    return render(request, "exports/detail.html", _detail_context(request, item))


@passive
@permission_required("exports.view")
@require_safe
def export_progress(request, guarded_export_id):
    """The progress bar's partial, polled while the export is being prepared
    (background polling: not user activity, like the bell)."""
    item = _export(request, guarded_export_id)
    require_object(request, "exports.view", item)
    return render(request, "exports/partials/_progress.html", _detail_context(request, item))


@permission_required("exports.approve")
@step_up_required
@require_POST
def export_approve(request, guarded_export_id):
    try:
        services.export_approve(membership=request.membership, export_id=guarded_export_id)
    except Refusal as error:
        if error.status == 404:
            answer(error)
        messages.error(request, error.text)
    else:
        messages.success(request, _("Export approved: it is being prepared."))
    return redirect("exports:detail", guarded_export_id=guarded_export_id)


@permission_required("exports.create")
@step_up_required
@require_POST
def export_download(request, guarded_export_id):
    """The file, once: decrypted as it streams, destroyed when it ends."""
    try:
        item = services.export_download(membership=request.membership, export_id=guarded_export_id)
    except Refusal as error:
        if error.status in (403, 404):
            answer(error)
        item = _export(request, guarded_export_id)
        context = _detail_context(request, item)
        context["download_error"] = error.text
        return render(request, "exports/detail.html", context, status=error.status)
    response = StreamingHttpResponse(
        services.export_stream(item), content_type=writers.CONTENT_TYPES[item.format]
    )
    stamp = dateformat.format(timezone.localtime(item.created_at), "Ymd-Hi")  # a file name
    response["Content-Disposition"] = (
        f'attachment; filename="{item.resource}-{stamp}.{item.format}"'
    )
    response["Cache-Control"] = "no-store"
    return response


@permission_required("exports.settings")
@require_http_methods(["GET", "HEAD", "POST"])
def export_settings(request):
    current = services.settings_of(request.membership.workspace_id)
    form = SettingsForm(
        request.POST or None, initial={"approval_threshold": current.approval_threshold}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_change(
                membership=request.membership,
                approval_threshold=form.cleaned_data["approval_threshold"],
            )
        except Refusal as error:
            _shown(form, error)
        else:
            messages.success(request, _("Export settings saved."))
            return redirect("exports:settings")
    return render(
        request, "exports/settings.html", {"form": form}, status=400 if form.errors else 200
    )
