"""Webhooks offer and deliver exactly the events the apps declare on the bus
(core/bus.py, each app's events.py), with ids-only payloads (P1)."""

from __future__ import annotations

import importlib
import importlib.util
import json

from django.apps import apps
from django_scopes import scope, scopes_disabled

from terabox_crm.core import bus
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.webhooks import forms
from terabox_crm.webhooks.api.serializers import event_names
from terabox_crm.webhooks.models import Delivery

# Every event name an integrator may rely on: the ones offered before the bus
# (contacts, companies, deals) and the ones activities and support publish.
EXPECTED = {
    "contact.created", "contact.updated", "contact.deleted", "contact.merged",
    "company.created", "company.updated", "company.deleted",
    "deal.created", "deal.updated", "deal.deleted", "deal.stage_changed",
    "activity.created", "activity.deleted",
    "task.created", "task.completed", "task.reopened", "task.updated", "task.deleted",
    "ticket.created", "ticket.replied", "ticket.status_changed", "ticket.updated",
    "ticket.assigned",
}  # fmt: skip


def _declarations() -> dict[str, list[str]]:
    """Each installed app's ``events.DECLARED``, read from its own module."""
    found = {}
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.events") is not None:
            module = importlib.import_module(f"{config.name}.events")
            found[config.label] = [event.name for event in module.DECLARED]
    return found


def test_the_webhook_vocabulary_is_the_union_of_the_apps_declarations():
    declarations = _declarations()
    union = [name for names in declarations.values() for name in names]
    assert len(union) == len(set(union)), "an event is declared by two apps"
    assert set(declarations) == {"contacts", "deals", "activities", "support"}
    assert {name for name, _label in forms.event_choices()} == set(union)
    assert set(event_names()) == set(union)
    assert {event.name for event in bus.declared()} == set(union)
    assert set(union) == EXPECTED


def test_every_declared_event_reaches_the_endpoints_with_its_id_only(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, events=sorted(EXPECTED))
    with django_capture_on_commit_callbacks(execute=True):
        for number, event in enumerate(bus.declared()):
            bus.publish(event.name, workspace_id=cast.acme.pk, object_id=f"id-{number}")
    bodies = sorted((json.loads(r.body) for r in receiver.requests), key=lambda b: b["event"])
    assert [body["event"] for body in bodies] == sorted(EXPECTED)
    for body in bodies:
        assert set(body) == {"id", "event", "occurred_at", "workspace_id", "data"}
        assert body["workspace_id"] == str(cast.acme.pk)
        assert set(body["data"]) == {"id"}


def test_a_failing_subscriber_does_not_stop_the_write_nor_its_webhook(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    """Isolation end to end: a listener before webhooks raises; the ticket is
    saved and its webhook still goes out."""

    def broken(name, workspace_id, object_id):
        raise RuntimeError("listener bug")

    make_endpoint(receiver.url, events=["ticket.created"])
    bus._subscribers.insert(0, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = open_ticket(cast.acme, cast.member)
    finally:
        bus.unsubscribe(broken)
    with scopes_disabled():
        assert Delivery.objects.get().object_id == str(ticket.pk)
    (request,) = receiver.requests
    assert json.loads(request.body)["data"] == {"id": str(ticket.pk)}


def test_a_ticket_flow_reaches_the_endpoint(
    cast, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from terabox_crm.support import services

    make_endpoint(receiver.url, events=sorted(n for n in EXPECTED if n.startswith("ticket.")))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(cast.acme, cast.member)
    with django_capture_on_commit_callbacks(execute=True), scope(workspace=cast.acme):
        services.ticket_reply(
            membership=cast.member_membership, ticket=ticket, body="Looking into it."
        )
        services.ticket_change(
            membership=cast.member_membership, ticket=ticket, assignee=cast.admin
        )
    with scopes_disabled():
        events = sorted(Delivery.objects.values_list("event", flat=True))
    assert events == [
        "ticket.assigned", "ticket.created", "ticket.replied", "ticket.status_changed",
        "ticket.updated",
    ]  # fmt: skip
    assert {json.loads(r.body)["data"]["id"] for r in receiver.requests} == {str(ticket.pk)}
