"""Screens of data-subject requests: the public request page, its links,
the download (no sign-in; P9, P11), and the privacy officers' queue."""

from __future__ import annotations

import math
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.accounts import tracking
from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required
from terabox_crm.core.models import Workspace
from terabox_crm.dsr import export, fulfilment, registry, selectors, services, throttle
from terabox_crm.dsr.forms import (
    AssignForm,
    PolicyForm,
    RecordForm,
    ReplyForm,
    RequestForm,
    StatusForm,
)
from terabox_crm.dsr.models import AccessExport, Kind, PrivacyRequest, Reply, Status
from terabox_crm.erasure import selectors as erasure_selectors
from terabox_crm.refusals import Refusal

# --- Public ----------------------------------------------------------------------------------


def _workspace_page(workspace_ref: str | None) -> Workspace | None:
    if workspace_ref is None:
        return None
    found = Workspace.objects.filter(slug=workspace_ref).first()
    if found is None:
        try:
            found = Workspace.objects.filter(pk=uuid.UUID(workspace_ref)).first()
        except ValueError:  # neither a slug nor an id: no such page
            found = None
    if found is None:
        raise Http404
    return found


def _contact_block(workspace: Workspace | None) -> str:
    if workspace is not None:
        return services.policy_for(workspace.pk).contact_block
    # The operator's contact block (P11): the one the published privacy policy shows.
    return services.contact_block(None, (translation.get_language() or settings.LANGUAGE_CODE)[:2])


def _throttled(request, block: throttle.Block, *, template: str = "dsr/public/throttled.html"):
    if block.tripped:
        audit.record(
            "security.dsr.throttled",
            actor=None,
            workspace=None,
            payload={"scope": block.scope, "seconds": block.retry_after},
        )
    minutes = max(1, math.ceil(block.retry_after / 60))
    message = ngettext(
        "Too many requests have been made from here or for this address. "
        "Wait %(minutes)d minute and try again.",
        "Too many requests have been made from here or for this address. "
        "Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}
    response = render(request, template, {"message": message}, status=429)
    response["Retry-After"] = str(block.retry_after)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def request_page(request, workspace_ref: str | None = None):
    """The public request page. Every valid submission gets the same page,
    whatever the address: nothing about it is looked up here."""
    workspace = _workspace_page(workspace_ref)
    form = RequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            block = throttle.submission(ip=tracking.client_ip(request), email=data["email"])
            if block is not None:
                return _throttled(request, block)
            services.submission_file(
                email=data["email"],
                kind=data["kind"],
                details=data["details"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                workspace=workspace,
            )
            return render(request, "dsr/public/sent.html", {"workspace": workspace, "hours": 24})
    return render(
        request,
        "dsr/public/request.html",
        {"form": form, "workspace": workspace, "contact_block": _contact_block(workspace)},
        status=status,
    )


def _refused_link(request, error: Refusal):
    return render(
        request, "dsr/public/link_refused.html", {"message": error.text}, status=error.status
    )


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def verify(request, token: str):
    """GET shows a button (mail scanners that open links do not spend them);
    POST spends the link and queues the routing."""
    block = throttle.link(ip=tracking.client_ip(request))
    if block is not None:
        return _throttled(request, block)
    try:
        if request.method == "POST":
            submission = services.submission_verify(token=token)
            return render(request, "dsr/public/verified.html", {"submission": submission})
        submission = services.submission_check(token=token)
    except Refusal as error:
        return _refused_link(request, error)
    return render(
        request,
        "dsr/public/verify.html",
        {"submission": submission, "kind": Kind(submission.kind).label},
    )


@require_safe
@never_cache
def download(request, token: str):
    """The access export, decrypted as it streams; each download audited."""
    block = throttle.link(ip=tracking.client_ip(request))
    if block is not None:
        return _throttled(request, block)
    try:
        item = services.export_download(token=token)
    except Refusal as error:
        return _refused_link(request, error)
    return export.download_response(item)


# --- Staff -----------------------------------------------------------------------------------


def _request(request, request_id) -> PrivacyRequest:
    return get_object_or_404(selectors.requests_for(request.membership), pk=request_id)


@permission_required("dsr.view")
@require_safe
def queue(request):
    status = request.GET.get("status", "open")
    if status not in {"open", "all", *Status.values}:
        status = "open"
    rows = selectors.queue(request.membership, status=status)
    return render(
        request,
        "dsr/staff/queue.html",
        {
            "rows": rows,
            "status": status,
            "statuses": Status.choices,
            "can_settings": policy.can(request.membership, "dsr.settings"),
            "can_record": policy.can(request.membership, "dsr.handle"),
            "now": timezone.now(),
        },
    )


def _named_subject(request, value) -> dict | None:
    """The contact a recorded request is about, when the officer came from
    its page (``?contact=``): its id and name, if it is one of this
    workspace's people."""
    try:
        subject_id = str(uuid.UUID(str(value)))
    except ValueError:
        return None
    workspace_id = request.membership.workspace_id
    with scope(workspace=workspace_id):
        labels = registry.subject_labels(workspace_id, [subject_id])
    if subject_id not in labels:
        return None
    return {"id": subject_id, "label": labels[subject_id] or subject_id}


@permission_required("dsr.handle")
@require_http_methods(["GET", "HEAD", "POST"])
def record(request):
    """Record a request that came by email, phone, post or in person (P9)."""
    named = _named_subject(request, request.POST.get("subject") or request.GET.get("contact") or "")
    if request.method != "POST":
        form = RecordForm(
            initial={
                "received_on": timezone.localdate(),
                "language": (translation.get_language() or settings.LANGUAGE_CODE)[:2],
                "subject": named["id"] if named else "",
            }
        )
        return render(request, "dsr/staff/record.html", {"form": form, "named": named})
    form = RecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.request_record(
                membership=request.membership,
                kind=data["kind"],
                channel=data["channel"],
                email=data["email"],
                postal_address=data["postal_address"],
                identity_check=data["identity_check"],
                details=data["details"],
                language=data["language"],
                received_on=data["received_on"],
                subject_ids=[data["subject"]] if data["subject"] else [],
            )
        except Refusal as error:
            if error.status in (403, 404):
                raise Http404 from None
            form.add_error(error.field if error.field in form.fields else None, error.text)
        else:
            if item.by_post:
                done = _(
                    "Request #%(number)d is recorded. The person gave no email address: "
                    "let them know by post that it was received."
                ) % {"number": item.number}
            else:
                done = _(
                    "Request #%(number)d is recorded. The person was told at %(email)s "
                    "that it was received."
                ) % {"number": item.number, "email": item.email}
            messages.success(request, done)
            return redirect("dsr:request", item.pk)
    return render(request, "dsr/staff/record.html", {"form": form, "named": named}, status=400)


def _subjects(item: PrivacyRequest) -> list[dict]:
    """Each matched person: id, label, contact link and whether erased since."""
    erased = {str(k) for k in erasure_selectors.erased_among(item.workspace_id, item.subject_ids)}
    return [
        {"id": str(sid), "label": label, "url": url, "erased": str(sid) in erased}
        for sid, (label, url) in zip(item.subject_ids, selectors.subject_links(item), strict=True)
    ]


def _detail_context(request, item: PrivacyRequest, **forms) -> dict:
    officers = selectors.officers(request.membership)
    with scope(workspace=item.workspace_id):
        exports = list(AccessExport.objects.filter(request=item))
        history = list(item.history.select_related("actor"))
        replies = list(item.replies.select_related("author"))
    fulfilment.word_history(history, item.workspace_id)
    return {
        "item": item,
        "history": history,
        "replies": replies,
        "exports": exports,
        "subjects": _subjects(item),
        "status_form": forms.get("status_form") or StatusForm(current=item.status),
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"assignee": item.assignee_id or ""}, officers=officers),
        "reply_form": forms.get("reply_form") or ReplyForm(by_post=item.by_post),
        "can_handle": policy.can(request.membership, "dsr.handle", item),
        "can_export": item.kind == Kind.ACCESS and item.is_open,
        "can_fulfil": item.is_open and item.kind in FULFIL_VIEWS,
        "purposes": (
            [p for p in fulfilment.withdrawable_purposes(item.workspace_id) if p.needs_consent]
            if item.kind == Kind.WITHDRAWAL and item.is_open
            else []
        ),
    }


@permission_required("dsr.view")
@require_safe
def request_detail(request, request_id):
    item = _request(request, request_id)
    return render(request, "dsr/staff/detail.html", _detail_context(request, item))


def _answer(request, item, form_name: str, form, call):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except Refusal as error:
            if error.status in (403, 404):
                raise Http404 from None
            form.add_error(error.field if error.field in form.fields else None, error.text)
        else:
            return redirect("dsr:request", item.pk)
    return render(
        request,
        "dsr/staff/detail.html",
        _detail_context(request, item, **{form_name: form}),
        status=400,
    )


@permission_required("dsr.handle")
@require_POST
def request_status(request, request_id):
    item = _request(request, request_id)
    form = StatusForm(request.POST, current=item.status)

    def call(data):
        services.request_set_status(
            membership=request.membership, request=item, status=data["status"], note=data["note"]
        )
        messages.success(request, _("The status has been changed."))

    return _answer(request, item, "status_form", form, call)


@permission_required("dsr.handle")
@require_POST
def request_assign(request, request_id):
    item = _request(request, request_id)
    form = AssignForm(request.POST, officers=selectors.officers(request.membership))

    def call(data):
        services.request_assign(
            membership=request.membership, request=item, assignee_id=data["assignee"] or None
        )
        messages.success(request, _("The assignee has been changed."))

    return _answer(request, item, "assign_form", form, call)


@permission_required("dsr.handle")
@require_POST
def request_reply(request, request_id):
    item = _request(request, request_id)
    form = ReplyForm(request.POST, by_post=item.by_post)

    def call(data):
        services.request_reply(membership=request.membership, request=item, body=data["body"])
        messages.success(
            request,
            _("The letter sent by post is recorded.")
            if item.by_post
            else _("The reply has been sent to the person."),
        )

    return _answer(request, item, "reply_form", form, call)


@permission_required("dsr.handle")
@require_safe
def request_letter(request, request_id, reply_id):
    """A reply to a person answered by post, laid out as a letter to print:
    their address, the organisation and its contact block (P11), the date and
    the text, in the person's language."""
    item = _request(request, request_id)
    with scope(workspace=item.workspace_id):
        reply = get_object_or_404(Reply, pk=reply_id, request=item, by_post=True)
        workspace = Workspace.objects.get(pk=item.workspace_id)
    return render(
        request,
        "dsr/staff/letter.html",
        {
            "item": item,
            "reply": reply,
            "workspace_name": workspace.name,
            "contact_block": services.contact_block(item.workspace_id, item.language),
        },
    )


@permission_required("dsr.handle")
@require_POST
def request_export(request, request_id):
    item = _request(request, request_id)
    try:
        services.export_request(membership=request.membership, request=item)
    except Refusal as error:
        messages.error(request, error.text)
    else:
        messages.success(
            request,
            _(
                "The access export is being prepared. Download it here when it is ready and "
                "send it to the person by post."
            )
            if item.by_post
            else _(
                "The access export is being prepared; the person will get a download link by email."
            ),
        )
    return redirect("dsr:request", item.pk)


@permission_required("dsr.handle")
@step_up_required
@require_POST
def request_export_fetch(request, request_id, export_id):
    """The access file of a person answered by post, for the officer to send
    on paper or a disc: once, while it is valid, audited (S4, S5: a bulk
    read of one person's data, behind a fresh step-up)."""
    item = _request(request, request_id)
    if not item.by_post:
        raise Http404
    try:
        found = services.export_fetch(
            membership=request.membership, request=item, export_id=export_id
        )
    except Refusal as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.text)
        return redirect("dsr:request", item.pk)
    return export.download_response(found)


@permission_required("dsr.handle")
@require_POST
def request_export_retry(request, request_id, export_id):
    """Try a failed access export again (after the job queue's retries)."""
    item = _request(request, request_id)
    try:
        services.export_retry(membership=request.membership, request=item, export_id=export_id)
    except Refusal as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.text)
    else:
        messages.success(
            request,
            _("The access export is being prepared again. Download it here when it is ready.")
            if item.by_post
            else _(
                "The access export is being prepared again; the person will get the link by email."
            ),
        )
    return redirect("dsr:request", item.pk)


def _fulfil(request, item: PrivacyRequest, subject_id, call, done: str):
    """Run one fulfilment for one person; a refusal is shown, nothing changed."""
    try:
        call(membership=request.membership, request=item, subject_id=subject_id)
    except Refusal as error:
        messages.error(request, error.text)
    else:
        messages.success(request, done)
    return redirect("dsr:request", item.pk)


@permission_required("dsr.handle")
@require_POST
def request_restrict(request, request_id, subject_id):
    item = _request(request, request_id)
    return _fulfil(
        request,
        item,
        subject_id,
        fulfilment.fulfil_restriction,
        _("The use of this person's data is restricted."),
    )


@permission_required("dsr.handle")
@require_POST
def request_correct(request, request_id, subject_id):
    """Record what was corrected on one person (edited on the contact's page)."""
    item = _request(request, request_id)
    changes = request.POST.get("changes", "")

    def call(**kwargs):
        return fulfilment.fulfil_correction(changes=changes, **kwargs)

    return _fulfil(request, item, subject_id, call, _("The correction is recorded."))


@permission_required("dsr.handle")
@require_POST
def request_withdraw(request, request_id, subject_id):
    item = _request(request, request_id)
    chosen = request.POST.getlist("purposes")

    def call(**kwargs):
        return fulfilment.fulfil_withdrawal(purposes=chosen, **kwargs)

    return _fulfil(
        request, item, subject_id, call, _("The consent is withdrawn for the purposes chosen.")
    )


@permission_required("dsr.handle")
@step_up_required
@require_POST
def request_erase(request, request_id, subject_id):
    """Erasure is a step-up action (S4): the same step-up as the erasure screen."""
    item = _request(request, request_id)
    return _fulfil(
        request,
        item,
        subject_id,
        fulfilment.fulfil_deletion,
        _("The person was erased. A tombstone keeps only that it happened."),
    )


FULFIL_VIEWS = {
    Kind.CORRECTION: "dsr:correct",
    Kind.RESTRICTION: "dsr:restrict",
    Kind.WITHDRAWAL: "dsr:withdraw",
    Kind.DELETION: "dsr:erase",
}


@permission_required("dsr.settings")
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request):
    current = services.policy_for(request.membership.workspace_id)
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"due_days": current.due_days, "contact_block": current.contact_block},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.policy_update(
                    membership=request.membership,
                    due_days=form.cleaned_data["due_days"],
                    contact_block=form.cleaned_data["contact_block"],
                )
            except Refusal as error:
                form.add_error(error.field if error.field in form.fields else None, error.text)
            else:
                messages.success(request, _("The request settings have been saved."))
                return redirect("dsr:settings")
    with scopes_disabled():
        workspace = request.membership.workspace
    return render(
        request, "dsr/staff/settings.html", {"form": form, "workspace": workspace}, status=status
    )
