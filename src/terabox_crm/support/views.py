"""Support screens: the ticket queue, a ticket with its messages, replies, changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.contacts import selectors as contact_selectors
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import policy, records
from terabox_crm.core.decorators import answer, permission_required
from terabox_crm.core.models import Membership
from terabox_crm.lists import anatomy, bulk
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.refusals import Refusal
from terabox_crm.support import listing, selectors, services, sla
from terabox_crm.support.forms import ReplyForm, RequesterForm, TicketChangeForm, TicketForm
from terabox_crm.support.models import Priority, Status, Ticket

REQUESTER = {"contact": Contact, "company": Company}
FINDER_LIMIT = 5


def _ticket(request, ticket_id):
    return get_object_or_404(
        Ticket.objects.visible_to(request.membership).select_related(
            "assignee", "owner", "contact", "company"
        ),
        pk=ticket_id,
    )


def _requester_ids(request) -> dict:
    """``?contact=``/``?company=`` of a page about them: each a record this
    member may read, else 404 (nothing tells another workspace's id apart)."""
    found = {}
    for name, model in REQUESTER.items():
        value = request.GET.get(name)
        if not value:
            continue
        if records.find_readable(request.membership, model, value) is None:
            raise Http404
        found[name] = value
    return found


def _candidates(request, query: str) -> list[dict]:
    """Contacts and companies matching ``query`` this member may read (the
    requester finder), a few of each, with their ids."""
    membership = request.membership
    if not query:
        return []
    found = contact_selectors.global_search(membership, query, limit=FINDER_LIMIT)
    rows = []
    if policy.can(membership, "contacts.view"):
        rows += [
            {
                "name": "contact",
                "kind": Contact._meta.verbose_name,
                "record": contact,
                "label": contact.display_name,
                "company_id": contact.company_id or "",
            }
            for contact in found.contacts
        ]
    if policy.can(membership, "companies.view"):
        rows += [
            {
                "name": "company",
                "kind": Company._meta.verbose_name,
                "record": company,
                "label": company.name,
                "company_id": company.pk,
            }
            for company in found.companies
        ]
    return rows


@permission_required("tickets.view")
@require_safe
def ticket_list(request):
    """The ticket queue in the shared list anatomy: open tickets by
    resolution deadline first; header sorting on keyset pages, a capped
    count, filters and views (mine, urgent, every ticket), bulk actions."""
    membership = request.membership
    spec = listing.TICKETS
    status = request.GET.get("status", "")
    if status and status not in (*Status.values, selectors.ALL_STATUSES):
        status = ""
    priority = request.GET.get("priority", "")
    if priority not in Priority.values:
        priority = ""
    # A contact's or company's "See all tickets" (ids only in the address).
    about = {
        name: records.as_uuid(request.GET.get(name))
        for name in REQUESTER
        if records.as_uuid(request.GET.get(name))
    }
    mine = request.GET.get("mine") == "1"
    assignee = records.as_uuid(request.GET.get("assignee"))
    qs = selectors.ticket_queue(
        membership, status=status, priority=priority, mine=mine, assignee=assignee, **about
    )
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    count = anatomy.capped_count(qs)
    contact_selectors.preload_keys(membership.workspace_id)
    page = anatomy.keyset(qs, sort, cursor=request.GET.get("cursor", ""))
    members = [
        (str(m.user_id), m.user.label)
        for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related(
            "user"
        )
    ]
    bulk_actions = []
    if policy.can(membership, "tickets.change"):
        bulk_actions = [
            anatomy.BulkAction(
                "assignee", pgettext("bulk action", "Assign to"), [("", _("Unassigned")), *members]
            ),
            anatomy.BulkAction("status", _("Change status"), Status.choices),
        ]
        tags = contact_selectors.tag_choices(membership)
        if tags:
            bulk_actions += [
                anatomy.BulkAction("tag_add", _("Add tag"), tags),
                anatomy.BulkAction("tag_remove", _("Remove tag"), tags),
            ]
    statuses = [(selectors.ALL_STATUSES, _("Every ticket")), *Status.choices]
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter(
                "status", _("Status"), statuses, status, empty=pgettext("tickets", "Unresolved")
            ),
            anatomy.Filter("priority", _("Priority"), Priority.choices, priority),
            anatomy.Filter("assignee", _("Assignee"), members, str(assignee or "")),
            anatomy.Filter(
                "mine", _("Assigned to me"), [("1", _("Assigned to me"))], "1" if mine else ""
            ),
        ],
        search_label=None,
        bulk_url=reverse("support:bulk"),
        bulk_actions=bulk_actions,
        next_cursor=page.next_cursor if page.has_more else "",
    )
    return render(
        request,
        "support/list.html",
        {
            "tickets": [(ticket, sla.clock(ticket)) for ticket in page.rows],
            "page": page,
            "lst": lst,
            "next_url": lst.next_url,
            "about": {name: str(value) for name, value in about.items()},
            "can_add": policy.can(membership, "tickets.add"),
        },
    )


@permission_required("tickets.view")
@require_POST
def ticket_bulk(request):
    """One action on the chosen tickets (at most 1,000), all or nothing."""
    return bulk.respond(
        request,
        services.ticket_bulk,
        url_name="support:tickets",
        changed=ngettext_lazy("%(n)s ticket changed.", "%(n)s tickets changed.", "count"),
    )


@permission_required("tickets.add")
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_create(request):
    """A new ticket; its requester set from a contact's or company's "New
    ticket" or chosen with the form's requester finder (a GET: no script)."""
    initial = {} if request.method == "POST" else _requester_ids(request)
    form = TicketForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            ticket = services.ticket_open(
                membership=request.membership,
                data=services.TicketData(
                    subject=values["subject"],
                    description=values["description"],
                    priority=values["priority"],
                    assignee=values["assignee"].user if values["assignee"] else None,
                    contact=values["contact"] or None,
                    company=values["company"] or None,
                    tag_ids=form.tag_ids(request.membership),
                ),
            )
        except Refusal as error:  # a ValidationError too: caught first
            answer(error)
            field = form.fields.get(error.field or "")
            visible = field is not None and not field.widget.is_hidden
            form.add_error(error.field if visible else None, error.message)
        except ValidationError as error:  # a new tag's name
            form.add_error("new_tags", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, _("Ticket #%(number)d opened.") % {"number": ticket.number})
            return redirect("support:ticket", ticket_id=ticket.pk)
    ids = form.data if form.is_bound else form.initial
    linked = []
    for name, model in REQUESTER.items():
        if ids.get(name):
            record = records.find_readable(request.membership, model, ids.get(name))
            linked.append({"name": name, "label": model._meta.verbose_name, "record": record})
    query = (request.GET.get("find") or "").strip()[:200]
    candidates = _candidates(request, query)
    kept = {k: v for k, v in request.GET.items() if k not in ("find", "contact", "company")}
    for row in candidates:
        params = {**kept, row["name"]: row["record"].pk}
        if row["name"] == "contact" and row["company_id"]:
            params["company"] = row["company_id"]
        row["url"] = f"{request.path}?{urlencode(params)}"
    return render(
        request,
        "support/form.html",
        {"form": form, "linked": linked, "query": query, "candidates": candidates},
        status=400 if request.method == "POST" else 200,
    )


@permission_required("tickets.view")
@require_safe
def ticket_detail(request, ticket_id):
    ticket = _ticket(request, ticket_id)
    membership = request.membership
    assignee = membership.__class__.objects.filter(
        workspace=request.workspace, user_id=ticket.assignee_id
    ).first()
    clock = sla.clock(ticket)
    return render(
        request,
        "support/detail.html",
        {
            "ticket": ticket,
            "clock": clock,
            "sla_remaining": clock.remaining(),
            "thread": list(ticket.messages.select_related("author")),
            "reply_form": ReplyForm(),
            "change_form": TicketChangeForm(
                workspace=request.workspace,
                initial={
                    "status": ticket.status,
                    "priority": ticket.priority,
                    "assignee": assignee,
                    "tags": [str(tag.pk) for tag in ticket.tags.all()],
                },
            ),
            "can_change": policy.can(membership, "tickets.change", ticket),
            **_requester_card(request, ticket),
        },
    )


def _requester_card(request, ticket) -> dict:
    """The requester card: the contact (with their primary email and phone
    and the restriction mark, P7) and company this member may read, and, when
    they may change the ticket and asked to (``?requester=change``), the
    finder for another one."""
    membership = request.membership
    contact = ticket.contact
    if contact is not None and not records.can_read(membership, contact):
        contact = None
    if contact is not None:
        contact = (
            contact_selectors.contacts_for_list(membership).filter(pk=ticket.contact_id).first()
        )
    company = ticket.company
    if company is not None and not records.can_read(membership, company):
        company = None
    changing = request.GET.get("requester") == "change" and policy.can(
        membership, "tickets.change", ticket
    )
    query = (request.GET.get("find") or "").strip()[:200] if changing else ""
    return {
        "requester_contact": contact,
        "requester_company": company,
        "requester_contact_unseen": bool(ticket.contact_id) and contact is None,
        "requester_company_unseen": bool(ticket.company_id) and company is None,
        "requester_restricted": contact is not None
        and privacy_selectors.is_restricted(membership.workspace_id, contact.pk),
        "requester_changing": changing,
        "requester_query": query,
        "requester_candidates": _candidates(request, query) if changing else [],
        "requester_keep": {"requester": "change"},
    }


@permission_required("tickets.change")
@require_POST
def ticket_requester(request, ticket_id):
    """Set (or clear) the ticket's requester from its card."""
    ticket = _ticket(request, ticket_id)
    form = RequesterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a contact or company of this workspace."))
        return redirect("support:ticket", ticket_id=ticket.pk)
    try:
        services.ticket_set_requester(
            membership=request.membership,
            ticket=ticket,
            contact=form.cleaned_data["contact"],
            company=form.cleaned_data["company"],
        )
    except Refusal as error:
        answer(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Requester saved."))
    return redirect("support:ticket", ticket_id=ticket.pk)


@permission_required("tickets.change")
@require_POST
def ticket_reply(request, ticket_id):
    ticket = _ticket(request, ticket_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message (at most 20,000 characters)."))
        return redirect("support:ticket", ticket_id=ticket.pk)
    try:
        services.ticket_reply(
            membership=request.membership,
            ticket=ticket,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        )
    except Refusal as error:
        answer(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Note added.") if form.cleaned_data["internal"] else _("Reply added.")
        )
    return redirect("support:ticket", ticket_id=ticket.pk)


@permission_required("tickets.change")
@require_POST
def ticket_change(request, ticket_id):
    ticket = _ticket(request, ticket_id)
    form = TicketChangeForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        messages.error(request, _("Choose a status and a priority from the lists."))
        return redirect("support:ticket", ticket_id=ticket.pk)
    values = form.cleaned_data
    try:
        services.ticket_change(
            membership=request.membership,
            ticket=ticket,
            priority=values["priority"],
            assignee=values["assignee"].user if values["assignee"] else None,
            status=values["status"],
            tag_ids=form.tag_ids(request.membership),
        )
    except Refusal as error:  # a ValidationError too: caught first
        answer(error)
        messages.error(request, error.message)
    except ValidationError as error:  # a new tag's name
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("support:ticket", ticket_id=ticket.pk)
