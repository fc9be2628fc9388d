"""Support screens: the ticket queue, a ticket with its messages, replies, changes."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm.core import policy
from terabox_crm.core.decorators import answer, permission_required
from terabox_crm.refusals import Refusal
from terabox_crm.support import selectors, services, sla
from terabox_crm.support.forms import ReplyForm, TicketChangeForm, TicketForm
from terabox_crm.support.models import Status, Ticket


def _ticket(request, ticket_id):
    return get_object_or_404(
        Ticket.objects.visible_to(request.membership).select_related("assignee", "owner"),
        pk=ticket_id,
    )


@permission_required("tickets.view")
@require_safe
def ticket_list(request):
    status = request.GET.get("status", "")
    if status and status not in Status.values:
        status = ""
    before = None
    after = request.GET.get("after", "")
    if after:
        moment, _sep, last_id = after.partition("|")
        due = parse_datetime(moment) if moment else None
        try:
            before = (due, uuid.UUID(last_id)) if due else None
        except ValueError:
            before = None
        if before is None:
            raise Http404
    rows, has_more = selectors.queue(
        request.membership, status=status, mine=request.GET.get("mine") == "1", before=before
    )
    tickets = [(ticket, sla.clock(ticket)) for ticket in rows]
    next_cursor = (
        f"{rows[-1].resolution_due_at.isoformat()}|{rows[-1].pk}" if has_more and rows else ""
    )
    return render(
        request,
        "support/list.html",
        {
            "tickets": tickets,
            "status": status,
            "statuses": Status.choices,
            "mine": request.GET.get("mine") == "1",
            "next_cursor": next_cursor,
            "can_add": policy.can(request.membership, "tickets.add"),
        },
    )


@permission_required("tickets.add")
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_create(request):
    form = TicketForm(request.POST or None, workspace=request.workspace)
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
                ),
            )
        except Refusal as error:
            answer(error)
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Ticket #%(number)d opened.") % {"number": ticket.number})
            return redirect("support:ticket", ticket_id=ticket.pk)
    return render(
        request,
        "support/form.html",
        {"form": form},
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
    return render(
        request,
        "support/detail.html",
        {
            "ticket": ticket,
            "clock": sla.clock(ticket),
            "thread": list(ticket.messages.select_related("author")),
            "reply_form": ReplyForm(),
            "change_form": TicketChangeForm(
                workspace=request.workspace,
                initial={
                    "status": ticket.status,
                    "priority": ticket.priority,
                    "assignee": assignee,
                },
            ),
            "can_change": policy.can(membership, "tickets.change", ticket),
        },
    )


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
        )
    except Refusal as error:
        answer(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("support:ticket", ticket_id=ticket.pk)
