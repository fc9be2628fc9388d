"""The public policy pages (P10, P11, S10) and the acceptance page.

``/privacy/``, ``/security/`` and ``/notices/`` are public: no sign-in, the
same for everyone, in the language the visitor chose (the usual switcher).
Each policy page shows the version in force, the next one if one is
published, and the history; each version's page shows what changed from the
version before it (a line diff, every line HTML-escaped).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from terabox_crm import audit, context
from terabox_crm.core.decorators import permission_required
from terabox_crm.policies import config, processing, rendering, selectors, services
from terabox_crm.policies.middleware import SESSION_KEY
from terabox_crm.policies.models import PolicyVersion
from terabox_crm.refusals import Refusal


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "ja"


def _kind_label(kind: str) -> str:
    return str(PolicyVersion.Kind(kind).label)


@require_safe
def policy_page(request, kind: str):
    language = _language()
    current = selectors.version_in_force(kind)
    following = selectors.upcoming(kind)
    return render(
        request,
        "policies/policy.html",
        {
            "kind": kind,
            "kind_label": _kind_label(kind),
            "current": current,
            "current_html": rendering.render(current, language) if current else "",
            "upcoming": following,
            "upcoming_summary": rendering.summary(following, language) if following else "",
            "history": selectors.history(kind),
        },
    )


@require_safe
def version_page(request, kind: str, number: int):
    language = _language()
    history = selectors.history(kind)  # newest first, published only
    version = next((v for v in history if v.number == number), None)
    if version is None:
        raise Http404
    previous = next((v for v in history if v.effective_at < version.effective_at), None)
    changes = (
        rendering.diff(rendering.body(previous, language), rendering.body(version, language))
        if previous
        else []
    )
    current = selectors.version_in_force(kind)
    return render(
        request,
        "policies/version.html",
        {
            "kind": kind,
            "kind_label": _kind_label(kind),
            "version": version,
            "current": current,
            "previous": previous,
            "is_current": current is not None and current.pk == version.pk,
            "is_upcoming": current is None or version.effective_at > current.effective_at,
            "summary": rendering.summary(version, language),
            "changes": changes,
            "version_html": rendering.render(version, language),
            "history": history,
        },
    )


@require_safe
def notices_page(request):
    """Announcements: every policy change published, with its effective date."""
    language = _language()
    announcements = [
        {
            "version": version,
            "kind_label": _kind_label(version.kind),
            "summary": rendering.summary(version, language),
            "url": reverse(f"policies:{version.kind}_version", args=[version.number]),
        }
        for version in PolicyVersion.objects.filter(
            published_at__isnull=False, number__gt=1
        ).order_by("-published_at", "kind")[:100]
    ]
    return render(request, "policies/notices.html", {"announcements": announcements})


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def accept_page(request):
    """The versions that took effect since the user joined and that they have
    not accepted: accepting records it (PolicyAcceptance) and goes on."""
    next_url = _safe_next(request)
    pending = services.pending_for(request.user)
    if not pending:
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        try:
            services.versions_accept(
                actor=request.user,
                versions=pending,
                ip=context.current().ip,
                request=request,
            )
        except Refusal as refusal:
            error = refusal.messages[0]
        else:
            request.session.pop(SESSION_KEY, None)
            return redirect(next_url)
    language = _language()
    items = [
        {
            "version": version,
            "kind_label": _kind_label(version.kind),
            "summary": rendering.summary(version, language),
            "url": reverse(f"policies:{version.kind}_version", args=[version.number]),
        }
        for version in pending
    ]
    return render(
        request,
        "policies/accept.html",
        {"items": items, "next": next_url, "error": error},
        status=400 if error else 200,
    )


# --- Record of processing ---------------------------------------------------------------


@permission_required("policies.processing.view")
@require_safe
def processing_page(request):
    """The record of processing as a document an auditor is handed
    (docs/ui.md "Record of processing"): one numbered section per purpose —
    its description, the lawful basis in words, whether consent is needed,
    the data categories, recipients — then each category's retention once
    and the sub-processor register; print-friendly."""
    language = _language()
    rows = processing.record_of_processing(request.workspace, language)
    # Each data category's retention once, not once per purpose that uses it:
    # the table said the same paragraph up to six times (the CSV keeps it per
    # row). A purpose's categories link to their entry.
    retention: dict[tuple[str, str], None] = {}
    for row in rows:
        for pair in row.retention:
            retention.setdefault(pair, None)
    anchors = {category: f"retention-{n}" for n, (category, _rules) in enumerate(retention, 1)}
    purposes = [
        {
            "row": row,
            "categories": [(category, anchors.get(category, "")) for category in row.categories],
        }
        for row in rows
    ]
    return render(
        request,
        "policies/processing.html",
        {
            "purposes": purposes,
            "retention": [(anchors[c], c, rules) for c, rules in retention],
            "subprocessors": config.subprocessors(language),
            "as_of": timezone.localdate(),
        },
    )


@permission_required("policies.processing.view")
@require_safe
def processing_csv(request):
    rows = processing.record_of_processing(request.workspace, _language())
    audit.record(
        "policies.processing.exported",
        actor=request.user,
        workspace=request.workspace,
        payload={"format": "csv", "rows": len(rows)},
    )
    response = HttpResponse(
        "\ufeff" + processing.as_csv(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.csv"'
    return response
