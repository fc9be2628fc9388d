"""Retention pages (P5): the workspace's rules and what the last runs
removed (admins and privacy officers), and setting or lifting a legal hold
from a contact's page (the panel is ``templatetags/retention.py``).

The contact is looked up through the contacts app's registered lookup
(``registry.find_subject``), never imported: another workspace's contact or
hold is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_scopes import scopes_disabled

from terabox_crm.core import policy
from terabox_crm.core.decorators import permission_required
from terabox_crm.retention import engine, registry, selectors, services
from terabox_crm.retention.forms import HoldForm, RuleForm
from terabox_crm.retention.models import LegalHold


@permission_required("retention.rules.view")
@require_safe
def rules(request):
    membership = request.membership
    last = engine.last_run()
    removed = last.removed_in(membership.workspace_id) if last else {}
    rows = [
        {"rule": rule, "removed": removed.get(rule.target.code)}
        for rule in selectors.rules_for(membership=membership)
    ]
    return render(
        request,
        "retention/rules.html",
        {
            "rows": rows,
            "installation": engine.installation_rules(),
            "last_run": last,
            "can_change": policy.can(membership, "retention.rules.change"),
        },
    )


def _effective(membership, code):
    for rule in selectors.rules_for(membership=membership):
        if rule.target.code == code:
            return rule
    raise Http404


@permission_required("retention.rules.change")
@require_http_methods(["GET", "HEAD", "POST"])
def rule_edit(request):
    membership = request.membership
    code = request.POST.get("target") if request.method == "POST" else request.GET.get("target")
    rule = _effective(membership, code or "")
    initial = {"target": code, "days": rule.days, "action": rule.action, "enabled": rule.enabled}
    form = RuleForm(request.POST or None, initial=initial, target=rule.target, minimum=rule.minimum)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_set(
                membership=membership,
                target=code,
                days=form.cleaned_data["days"],
                action=form.cleaned_data["action"],
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The retention rule was saved."))
            return redirect("retention:rules")
    status = 400 if form.is_bound else 200
    return render(request, "retention/rule_form.html", {"form": form, "rule": rule}, status=status)


def _contact_url(subject_id) -> str:
    return reverse("contacts:detail", args=[subject_id])


@permission_required("retention.holds.change")
@require_POST
def hold_set(request, contact_id):
    membership = request.membership
    if registry.find_subject(membership, contact_id) is None:
        raise Http404
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            services.hold_set(
                membership=membership, subject_id=contact_id, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The contact is under legal hold."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(_contact_url(contact_id))


@permission_required("retention.holds.change")
@require_POST
def hold_lift(request, hold_id):
    membership = request.membership
    with scopes_disabled():
        hold = get_object_or_404(
            LegalHold.objects.filter(workspace_id=membership.workspace_id), pk=hold_id
        )
    try:
        services.hold_lift(membership=membership, hold=hold)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The legal hold was lifted."))
    return redirect(_contact_url(hold.subject_id))
