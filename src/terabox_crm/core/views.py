"""Workspace views: create, switch, members."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from terabox_crm.core.middleware import WorkspaceMiddleware
from terabox_crm.core.selectors import membership_for


@login_required
def workspace_create(request):
    return render(request, "web/home.html")


@login_required
@require_POST
def workspace_switch(request):
    membership = membership_for(request.user, request.POST.get("workspace"))
    if membership is None or str(membership.workspace_id) != request.POST.get("workspace"):
        raise Http404
    request.session[WorkspaceMiddleware.SESSION_KEY] = str(membership.workspace_id)
    return redirect("web:home")


@login_required
def member_list(request):
    return render(request, "web/home.html")
