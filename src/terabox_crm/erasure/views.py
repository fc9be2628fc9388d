"""The "Erase this person" screens (P8): a confirmation page that says what
will happen, then the erasure. Privacy officers only (``privacy.erase``),
after a fresh step-up (S4). The person is named by id; the page reads their
name and what will be reached through the registered sources and erasers, so
this app needs no domain model.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core.decorators import permission_required
from terabox_crm.erasure import selectors, services
from terabox_crm.erasure.forms import EraseForm


@permission_required(services.ACTION)
@step_up_required
@require_http_methods(["GET", "HEAD", "POST"])
def subject_erase(request, contact_id):
    workspace_id = request.membership.workspace_id
    erased = selectors.erased_among(workspace_id, [contact_id])
    name = services.describe(workspace_id, contact_id)
    if not name and not erased:
        raise Http404
    form = EraseForm(request.POST or None)
    # A second erasure is answered with the first one's date, nothing changed.
    status = 409 if request.method == "POST" and erased else 200
    if request.method == "POST" and not erased:
        if form.is_valid():
            try:
                services.subject_erase(
                    membership=request.membership,
                    subject_id=contact_id,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, _("The person was erased. A tombstone keeps only that it happened.")
                )
                return redirect("contacts:list")
        status = 400
    return render(
        request,
        "erasure/confirm.html",
        {
            "form": form,
            "name": name,
            "subject_id": contact_id,
            "erased_at": erased.get(contact_id),
            "reach": [
                (text, rows)
                for text, rows in services.preview(workspace_id, contact_id)
                if rows or not erased
            ],
        },
        status=status,
    )
