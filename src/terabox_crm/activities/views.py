"""Activity logging, the task inbox, and task completion."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.activities import listing, selectors, services
from terabox_crm.activities.forms import ActivityForm, QuickTaskForm, TaskForm
from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import policy, records
from terabox_crm.core.decorators import permission_required, refusals_answered, require_object
from terabox_crm.core.htmx import is_partial
from terabox_crm.core.models import Membership
from terabox_crm.deals import selectors as deal_selectors
from terabox_crm.deals.models import Deal
from terabox_crm.lists import anatomy, bulk
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


def _task_data(form: TaskForm, cls=services.TaskData):
    values = form.cleaned_data
    return cls(
        title=values["title"],
        due_at=values["due_at"],
        remind_at=values["remind_at"],
        assignee=values["assignee"].user,
        notes=values["notes"],
        links=services.Links(**form.link_ids()),
    )


def _form_error(form: TaskForm, error: Refusal) -> None:
    # The links are hidden ids: their errors show above the form.
    field = form.fields.get(error.field or "")
    visible = field is not None and not field.widget.is_hidden
    form.add_error(error.field if visible else None, error.message)


def _linked(request, form: TaskForm) -> list[dict]:
    """What the form shows of its links: the record when this member may read
    it; for an id naming anything else, only that a link is there (S6)."""
    ids = form.data if form.is_bound else form.initial
    shown = []
    for name, model in LINKS.items():
        value = ids.get(name) or ""
        if not value:
            continue
        record = records.find_readable(request.membership, model, value)
        shown.append(
            {
                "name": name,
                "record": record,
                "label": model._meta.verbose_name,
                "field": form[f"unlink_{name}"],
            }
        )
    return shown


FINDER_LIMIT = 5


def _finder(request) -> dict:
    """The form's record finder: contacts, companies and deals named by the
    ``find`` text that this member may read, each with the address of this
    form with the record linked (a GET, so it works without script)."""
    query = (request.GET.get("find") or "").strip()[:200]
    if not query:
        return {"query": "", "results": []}
    membership = request.membership
    found = contact_selectors.global_search(membership, query, limit=FINDER_LIMIT)
    results = []
    if policy.can(membership, "contacts.view"):
        results += [("contact", c, c.display_name) for c in found.contacts]
    if policy.can(membership, "companies.view"):
        results += [("company", c, c.name) for c in found.companies]
    if policy.can(membership, "deals.view"):
        deals = list(
            deal_selectors.search(membership, query).order_by("-updated_at")[:FINDER_LIMIT]
        )
        results += [("deal", d, d.name) for d in deals]
    kept = {k: v for k, v in request.GET.items() if k != "find"}
    rows = []
    for name, record, label in results:
        params = {**kept, name: str(record.pk)}
        if name == "contact" and getattr(record, "company_id", None) and not kept.get("company"):
            params["company"] = str(record.company_id)
        rows.append(
            {
                "kind": LINKS[name]._meta.verbose_name,
                "label": label,
                "url": f"{request.path}?{urlencode(params)}",
            }
        )
    return {"query": query, "results": rows}


def _get_links(request) -> dict:
    """The links named in the address (``?contact=``…): a page about records
    this member may read (``_links`` answers 404 otherwise)."""
    links = _links(request)
    return {name: str(value) for name, value in vars(links).items() if value is not None}


def _task_form_page(request, *, task=None):
    membership = request.membership
    editing = task is not None
    if task is None:
        initial = {"assignee": membership}
    else:
        initial = {
            "title": task.title,
            "due_at": timezone.localtime(task.due_at).strftime("%Y-%m-%dT%H:%M"),
            "remind_at": timezone.localtime(task.remind_at).strftime("%Y-%m-%dT%H:%M")
            if task.remind_at
            else "",
            "assignee": Membership.objects.filter(
                workspace_id=membership.workspace_id, user_id=task.assignee_id
            ).first(),
            "notes": task.notes,
            **{name: str(getattr(task, f"{name}_id") or "") for name in LINKS},
        }
    if request.method != "POST":
        initial.update(_get_links(request))
    form = TaskForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if task is None:
                task = services.task_create(membership=membership, data=_task_data(form))
            else:
                services.task_update(
                    membership=membership, task=task, data=_task_data(form, services.TaskChange)
                )
        except Refusal as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Task saved.") if editing else _("Task created."))
            if not editing and (request.POST.get("next") or ""):
                return redirect(_back(request, services.Links()))
            return redirect("activities:task", task_id=task.pk)
    return render(
        request,
        "activities/task_form.html",
        {
            "form": form,
            "task": task if editing else None,
            "linked": _linked(request, form),
            "finder": _finder(request),
            "cancel": reverse("activities:task", args=[task.pk])
            if editing
            else _back(request, services.Links()),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required("activities.add")
@require_http_methods(["GET", "HEAD", "POST"])
def task_create(request):
    """A new task, its contact, company or deal set from the record's page
    ("New task") or found with the form's record finder."""
    return _task_form_page(request)


@permission_required("activities.change")
@require_http_methods(["GET", "HEAD", "POST"])
def task_edit(request, task_id):
    task = get_object_or_404(
        Task.objects.visible_to(request.membership).select_related("assignee"), pk=task_id
    )
    require_object(request, "activities.change", task)
    return _task_form_page(request, task=task)


@permission_required("activities.change")
@require_http_methods(["GET", "HEAD", "POST"])
@refusals_answered
def task_delete(request, task_id):
    """Delete behind a confirmation page (a POST from it), never one click."""
    task = get_object_or_404(Task.objects.visible_to(request.membership), pk=task_id)
    require_object(request, "activities.change", task)
    if request.method == "POST":
        services.task_delete(membership=request.membership, task=task)
        messages.success(request, _("Task deleted."))
        return redirect("activities:tasks")
    return render(
        request,
        "activities/task_confirm_delete.html",
        {"task": task, "cancel": reverse("activities:task", args=[task.pk])},
    )


TASK_LIST_LIMIT = 200


def _label_of(record) -> str:
    """A contact's display name, a company's or a deal's name."""
    return getattr(record, "display_name", None) or record.name


def _members(membership) -> list[tuple[str, str]]:
    return [
        (str(m.user_id), m.user.label)
        for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related(
            "user"
        )
    ]


def _choice(request, name: str, allowed) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else ""


@permission_required("activities.view")
@require_http_methods(["GET", "HEAD", "POST"])
def task_list(request):
    """The task work queues (mine, overdue, today, this week, my team's,
    everyone's) in the shared list anatomy, with the quick "New task" form;
    with ``?contact=``, ``?company=`` or ``?deal=`` every task of that record
    one may read (the "See all" of a record's task panel)."""
    membership = request.membership
    can_add = policy.can(membership, "activities.add")
    form = QuickTaskForm(
        request.POST or None,
        workspace=request.workspace,
        initial={"assignee": membership},
    )
    if request.method == "POST":
        require_object(request, "activities.add", allowed=can_add)
        if form.is_valid():
            try:
                services.task_create(membership=membership, data=_task_data(form))
            except Refusal as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Task created."))
                return redirect("activities:tasks")
    about = None
    links: dict = {} if request.method == "POST" else _get_links(request)
    if links:
        ((name, value),) = list(links.items())[:1]
        about = records.find_readable(membership, LINKS[name], value)
    spec = listing.TASKS
    scope = _choice(request, "scope", selectors.TASK_SCOPES)
    due = _choice(request, "due", selectors.TASK_DUES)
    status = _choice(request, "status", selectors.TASK_STATUSES)
    assignee = records.as_uuid(request.GET.get("assignee"))
    queryset = selectors.task_queue(
        membership, scope=scope, due=due, status=status, assignee=assignee, links=links
    )
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    page, count = selectors.task_list_page(
        membership, queryset, sort, cursor=request.GET.get("cursor", "")
    )
    members = _members(membership)
    bulk_actions = []
    if policy.can(membership, "activities.change"):
        bulk_actions = [
            anatomy.BulkAction("done", _("Mark done")),
            anatomy.BulkAction("reopen", _("Reopen")),
            anatomy.BulkAction("assignee", pgettext("bulk action", "Assign to"), members),
            anatomy.BulkAction("delete", _("Delete"), danger=True),
        ]
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter(
                "scope",
                pgettext("task filter", "Whose"),
                [
                    ("team", pgettext("task view", "My team's")),
                    ("all", pgettext("task view", "Everyone's")),
                ],
                scope,
                # A record's "See all" shows everyone's tasks on it.
                empty=None if links else pgettext("task view", "Mine"),
            ),
            anatomy.Filter(
                "due",
                _("Due"),
                [
                    ("overdue", pgettext("task view", "Overdue")),
                    ("today", pgettext("task view", "Today")),
                    ("week", pgettext("task view", "This week")),
                ],
                due,
            ),
            anatomy.Filter(
                "status",
                _("Status"),
                [("done", _("Done")), ("any", pgettext("task status", "Open or done"))],
                status,
                empty=pgettext("task status", "Open"),
            ),
            anatomy.Filter("assignee", _("Assignee"), members, str(assignee or "")),
        ],
        search_label=None,
        bulk_url=reverse("activities:task_bulk"),
        bulk_actions=bulk_actions,
        next_cursor=page.next_cursor if page.has_more else "",
    )
    return render(
        request,
        "activities/tasks.html",
        {
            "tasks": page.rows,
            "page": page,
            "lst": lst,
            "next_url": lst.next_url,
            "now": timezone.now(),
            "form": form,
            "can_add": can_add and about is None,
            "about": _label_of(about) if about is not None else "",
            "new_url": f"{reverse('activities:task_create')}?{urlencode(links)}"
            if about is not None and can_add
            else "",
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required("activities.view")
@require_POST
def task_bulk(request):
    """One action on the chosen tasks (at most 1,000), all or nothing."""
    return bulk.respond(
        request,
        services.task_bulk,
        url_name="activities:tasks",
        changed=ngettext_lazy("%(n)s task changed.", "%(n)s tasks changed.", "count"),
        deleted=ngettext_lazy("%(n)s task deleted.", "%(n)s tasks deleted.", "count"),
    )


@permission_required("activities.view")
@require_safe
def task_detail(request, task_id):
    task = get_object_or_404(
        Task.objects.visible_to(request.membership).select_related(
            "assignee", "owner", "contact", "company", "deal"
        ),
        pk=task_id,
    )
    membership = request.membership
    return render(
        request,
        "activities/task_detail.html",
        {
            "task": task,
            "can_change": policy.can(membership, "activities.change", task),
            "overdue": task.status == Task.Status.OPEN and task.due_at < timezone.now(),
        },
    )


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
    return redirect(_back(request, services.Links()))
