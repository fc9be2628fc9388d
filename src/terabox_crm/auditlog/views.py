"""The audit trail of the current workspace (S5).

Admins, owners and auditors (``audit.view``) read every event of their
workspace's chain; ``security.view`` opens the security-events page. Never
another workspace's chain, never the system chain: every read goes through
``selectors`` with ``request.workspace``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from terabox_crm.auditlog import selectors
from terabox_crm.auditlog.forms import TrailFilterForm
from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required, require_object


def _trail(request, *, security_view: bool):
    form = TrailFilterForm(
        request.GET or None, workspace=request.workspace, security_view=security_view
    )
    status = 200
    page = None
    if form.is_bound and not form.is_valid():
        status = 400  # the filters are wrong: say so, show nothing rather than everything
    else:
        page = selectors.trail_page(
            workspace=request.workspace,
            filters=form.filters(),
            before=form.cursor(),
            membership=request.membership,
        )
    next_query = ""
    if page is not None and page.next_before is not None:
        query = request.GET.copy()
        query["before"] = page.next_before
        next_query = query.urlencode()
    newest_query = request.GET.copy()
    newest_query.pop("before", None)
    context = {
        "form": form,
        "page": page,
        "security_view": security_view,
        "next_query": next_query,
        "newest_query": newest_query.urlencode(),
        "is_older_page": bool(request.GET.get("before")),
    }
    return render(request, "audit/trail.html", context, status=status)


@permission_required("audit.view")
@require_safe
def trail(request):
    return _trail(request, security_view=False)


@permission_required("security.view")
@require_safe
def security(request):
    return _trail(request, security_view=True)


@login_required
@require_safe
def event_detail(request, event_hash: str):
    """One event with its decrypted personal side and its place in the chain."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    event = selectors.event_in(request.workspace, event_hash)
    may_read = policy.can(membership, "audit.view") or (
        event is not None
        and event.action.startswith("security.")
        and policy.can(membership, "security.view")
    )
    require_object(request, "audit.view", allowed=may_read)
    if event is None:
        raise Http404
    entry = selectors.present([event], membership=membership)[0]
    return render(
        request,
        "audit/event_detail.html",
        {"entry": entry, "event": event, "checkpoint": selectors.covering_checkpoint(event)},
    )
