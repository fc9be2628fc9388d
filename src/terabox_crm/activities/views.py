"""Activity logging, the task inbox, and task completion."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.activities import selectors, services
from terabox_crm.activities.forms import ActivityForm, TaskForm
from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import policy, records
from terabox_crm.core.decorators import permission_required, refusals_answered, require_object
from terabox_crm.core.htmx import is_partial
from terabox_crm.deals.models import Deal
from terabox_crm.refusals import Refusal

LINKS = {"contact": Contact, "company": Company, "deal": Deal}


def _links(request) -> services.Links:
    """The ids named by ``?contact=``/``?company=``/``?deal=``.

    A posted link is the service's to check (it refuses one the member may not
    read, as a form error, and records it); the empty form is a page about
    those records, so it is a 404 unless the member may read them.
    """
    found = {}
    source = request.POST if request.method == "POST" else request.GET
    for name, model in LINKS.items():
        value = source.get(name)
        if not value:
            continue
        try:
            found[name] = uuid.UUID(value)
        except ValueError:
            raise Http404 from None
        if request.method != "POST" and not records.find_readable(
            request.membership, model, found[name]
        ):
            raise Http404
    return services.Links(**found)


def _back(request, links: services.Links) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        return target
    if links.deal is not None:
        return f"/deals/{records.pk_of(links.deal)}/"
    return "/tasks/"


@permission_required("activities.add")
@require_http_methods(["GET", "HEAD", "POST"])
def activity_create(request):
    links = _links(request)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            services.activity_log(
                membership=request.membership,
                data=services.ActivityData(
                    kind=values["kind"],
                    occurred_at=values["occurred_at"],
                    subject=values["subject"],
                    body=values["body"],
                    duration_minutes=values["duration_minutes"],
                    links=links,
                ),
            )
        except Refusal as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Activity logged."))
            return redirect(_back(request, links))
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "links": links, "next": _back(request, links)},
        status=400 if request.method == "POST" else 200,
    )


@permission_required("activities.change")
@require_POST
@refusals_answered
def activity_delete(request, activity_id):
    activity = get_object_or_404(Activity.objects.visible_to(request.membership), pk=activity_id)
    services.activity_delete(membership=request.membership, activity=activity)
    messages.success(request, _("Activity deleted."))
    links = services.Links(contact=activity.contact, company=activity.company, deal=activity.deal)
    return redirect(_back(request, links))


@permission_required("activities.view")
@require_http_methods(["GET", "HEAD", "POST"])
def task_list(request):
    can_add = policy.can(request.membership, "activities.add")
    form = TaskForm(
        request.POST or None,
        workspace=request.workspace,
        initial={"assignee": request.membership},
    )
    if request.method == "POST":
        require_object(request, "activities.add", allowed=can_add)
        if form.is_valid():
            values = form.cleaned_data
            try:
                services.task_create(
                    membership=request.membership,
                    data=services.TaskData(
                        title=values["title"],
                        due_at=values["due_at"],
                        remind_at=values["remind_at"],
                        assignee=values["assignee"].user,
                        notes=values["notes"],
                        links=_links(request),
                    ),
                )
            except Refusal as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Task created."))
                return redirect("activities:tasks")
    return render(
        request,
        "activities/tasks.html",
        {"tasks": selectors.my_open_tasks(request.membership), "form": form, "can_add": can_add},
        status=400 if request.method == "POST" else 200,
    )


@permission_required("activities.view")
@require_safe
def task_detail(request, task_id):
    task = get_object_or_404(Task.objects.visible_to(request.membership), pk=task_id)
    return render(request, "activities/task_detail.html", {"task": task})


@permission_required("activities.view")
@require_POST
@refusals_answered
def task_done(request, task_id):
    task = get_object_or_404(Task.objects.visible_to(request.membership), pk=task_id)
    done = request.POST.get("done", "1") == "1"
    services.task_set_done(membership=request.membership, task=task, done=done)
    if is_partial(request):
        return render(request, "activities/partials/_task_row.html", {"task": task})
    messages.success(request, _("Task completed.") if done else _("Task reopened."))
    return redirect("activities:tasks")
