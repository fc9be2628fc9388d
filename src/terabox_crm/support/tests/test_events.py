"""Tickets publish their domain events (support/events.py) from the
services, after commit only; internal notes are not announced."""

from __future__ import annotations

import pytest
from django_scopes import scope

from terabox_crm.refusals import Refusal
from terabox_crm.support import services
from terabox_crm.support.tests.factories import open_ticket


def test_a_ticket_publishes_what_happens_to_it(cast, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(cast.acme, cast.member)
    with django_capture_on_commit_callbacks(execute=True), scope(workspace=cast.acme):
        services.ticket_reply(
            membership=cast.member_membership, ticket=ticket, body="Checking", internal=True
        )
        services.ticket_reply(
            membership=cast.member_membership, ticket=ticket, body="We are on it."
        )
        services.ticket_reply(membership=cast.member_membership, ticket=ticket, body="Still on it.")
        services.ticket_change(membership=cast.member_membership, ticket=ticket, priority="urgent")
        services.ticket_change(
            membership=cast.member_membership, ticket=ticket, assignee=cast.admin
        )
        services.ticket_change(membership=cast.member_membership, ticket=ticket, status="resolved")
        services.ticket_change(
            membership=cast.member_membership, ticket=ticket, status="resolved"
        )  # no change
    assert [name for name, object_id in published] == [
        "ticket.created",
        "ticket.replied",
        "ticket.status_changed",  # the first reply opens a new ticket
        "ticket.replied",
        "ticket.updated",
        "ticket.updated",
        "ticket.assigned",
        "ticket.status_changed",
    ]
    assert {object_id for name, object_id in published} == {str(ticket.pk)}


def test_a_change_refused_halfway_publishes_nothing(
    cast, published, django_capture_on_commit_callbacks
):
    ticket = open_ticket(cast.acme, cast.member)
    with (
        django_capture_on_commit_callbacks(execute=True),
        scope(workspace=cast.acme),
        pytest.raises(Refusal),
    ):
        services.ticket_change(
            membership=cast.member_membership, ticket=ticket, assignee=cast.admin, status="exploded"
        )
    assert published == []
