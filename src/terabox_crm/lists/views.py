"""The list preferences every list shares: remember columns, save and
delete a view (a tab). Each asks the policy for the list's own view
permission (``ListSpec.permission``) and answers with the list again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terabox_crm.core.decorators import refusals_answered, require_object
from terabox_crm.lists import anatomy, services
from terabox_crm.lists.models import ListView


def _spec(request, list_key: str) -> anatomy.ListSpec:
    """The list named ``list_key`` (a POST field: a name, not an object)."""
    spec = anatomy.spec_of(list_key or "")
    if spec is None:
        raise Http404
    require_object(request, spec.permission)
    return spec


def _back(spec: anatomy.ListSpec, query: str = ""):
    """To the list, with the filters it had (its own query string only)."""
    url = reverse(spec.url_name)
    query = (query or "").lstrip("?")
    if query and "\n" not in query and "//" not in query:
        url = f"{url}?{query}"
    return redirect(url)


@login_required
@require_POST
@refusals_answered
def columns_save(request):
    spec = _spec(request, request.POST.get("list", ""))
    if "reset" in request.POST:
        services.columns_reset(
            membership=request.membership, list_key=spec.key, permission=spec.permission
        )
    else:
        services.columns_save(
            membership=request.membership,
            list_key=spec.key,
            columns=request.POST.getlist("columns"),
            permission=spec.permission,
        )
    messages.success(request, _("Columns saved."))
    return _back(spec, request.POST.get("query", ""))


@login_required
@require_POST
@refusals_answered
def view_create(request):
    spec = _spec(request, request.POST.get("list", ""))
    try:
        view = services.view_create(
            membership=request.membership,
            list_key=spec.key,
            name=request.POST.get("name", ""),
            params=request.POST,
            permission=spec.permission,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(spec, request.POST.get("query", ""))
    messages.success(request, _("View saved."))
    return _back(spec, anatomy.urlencode(view.params))


@login_required
@require_POST
@refusals_answered
def view_delete(request, list_view_id):
    if request.membership is None:
        raise Http404
    view = get_object_or_404(
        ListView.objects.filter(
            workspace_id=request.membership.workspace_id, user_id=request.user.pk
        ),
        pk=list_view_id,
    )
    spec = _spec(request, view.list_key)
    services.view_delete(membership=request.membership, view=view)
    messages.success(request, _("View deleted."))
    return _back(spec)
