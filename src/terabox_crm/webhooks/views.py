"""Webhook pages for workspace admins (``webhooks.manage``): list, add (with a
fresh step-up), change, rotate the secret (step-up), delete, and each
endpoint's delivery history with "send again".

Endpoints and deliveries are fetched through the scoped managers, so another
workspace's id is a 404. A secret is shown once, on the page that answers
the create or rotate POST, and never put in a session or a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.accounts.stepup import step_up_required
from terabox_crm.core.decorators import permission_required
from terabox_crm.webhooks import fanout, selectors, services
from terabox_crm.webhooks.forms import EndpointForm
from terabox_crm.webhooks.models import Delivery, Endpoint

MANAGE = "webhooks.manage"
PAGE_SIZE = 25


def _endpoint(request, endpoint_id) -> Endpoint:
    return get_object_or_404(Endpoint.objects.visible_to(request.membership), pk=endpoint_id)


@permission_required(MANAGE)
@require_safe
def endpoint_list(request):
    endpoints = list(selectors.endpoints_of(request.membership))
    rows = [
        {"endpoint": e, "event_labels": [fanout.label(name) for name in e.events]}
        for e in endpoints
    ]
    return render(request, "webhooks/list.html", {"rows": rows})


@permission_required(MANAGE)
@step_up_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_create(request):
    form = EndpointForm(request.POST or None, workspace=request.membership.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.endpoint_create(
                membership=request.membership,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                event_names=form.cleaned_data["events"],
                active=form.cleaned_data["active"],
                purpose=form.cleaned_data["purpose"],
                third_party=form.cleaned_data["third_party"],
                recipient=form.cleaned_data["recipient"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return render(
                request,
                "webhooks/secret.html",
                {"endpoint": created.endpoint, "secret": created.secret, "created": True},
            )
    status = 400 if form.is_bound else 200
    return render(request, "webhooks/form.html", {"form": form}, status=status)


@permission_required(MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_detail(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        form = EndpointForm(request.POST, workspace=request.membership.workspace)
        if form.is_valid():
            try:
                services.endpoint_update(
                    membership=request.membership,
                    endpoint=endpoint,
                    url=form.cleaned_data["url"],
                    description=form.cleaned_data["description"],
                    event_names=form.cleaned_data["events"],
                    active=form.cleaned_data["active"],
                    purpose=form.cleaned_data["purpose"],
                    third_party=form.cleaned_data["third_party"],
                    recipient=form.cleaned_data["recipient"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The webhook endpoint was saved."))
                return redirect("webhooks:detail", endpoint_id=endpoint.pk)
    else:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
                "active": endpoint.active,
                "purpose": endpoint.purpose,
                "third_party": endpoint.third_party,
                "recipient": endpoint.recipient,
            },
            workspace=request.membership.workspace,
        )
    page = Paginator(selectors.deliveries_of(request.membership, endpoint), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "page_obj": page,
            "deliveries": [(d, fanout.label(d.event)) for d in page],
        },
        status=status,
    )


@permission_required(MANAGE)
@step_up_required
@require_POST
def endpoint_rotate(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    rotated = services.endpoint_rotate_secret(membership=request.membership, endpoint=endpoint)
    return render(
        request,
        "webhooks/secret.html",
        {"endpoint": rotated.endpoint, "secret": rotated.secret, "created": False},
    )


@permission_required(MANAGE)
@require_POST
def endpoint_delete(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    services.endpoint_delete(membership=request.membership, endpoint=endpoint)
    messages.success(request, _("The webhook endpoint was deleted."))
    return redirect("webhooks:list")


@permission_required(MANAGE)
@require_POST
def endpoint_ping(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    services.endpoint_ping(membership=request.membership, endpoint=endpoint)
    messages.success(
        request, _("A test event was queued; its result appears in the delivery history.")
    )
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)


@permission_required(MANAGE)
@require_POST
def delivery_redeliver(request, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    delivery = get_object_or_404(
        Delivery.objects.visible_to(request.membership).filter(endpoint=endpoint), pk=delivery_id
    )
    try:
        services.delivery_redeliver(membership=request.membership, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The delivery was queued to be sent again."))
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)
