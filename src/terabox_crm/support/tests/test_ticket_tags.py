"""Tickets carry the workspace's tags, through the same chip input as
contacts, companies and deals (docs/ui.md "Tags are chips"): on the new
ticket form and in the ticket's properties."""

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.contacts.models import Tag
from terabox_crm.core.selectors import membership_in
from terabox_crm.core.tests.support import events
from terabox_crm.refusals import Refusal
from terabox_crm.support import services
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


def _tag(workspace, name):
    with scope(workspace=workspace):
        return Tag.objects.create(workspace=workspace, name=name)


def _tags_of(ticket):
    with scope(workspace=ticket.workspace):
        return sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


@pytest.mark.parametrize(("language", "label"), [("en", "Tags"), ("ja", "タグ")])
def test_the_new_ticket_form_and_the_properties_have_the_chip_input(client, cast, language, label):
    _tag(cast.acme, "VIP")
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    for url in (reverse("support:create"), reverse("support:ticket", args=[ticket.pk])):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'data-chips-for="id_new_tags"' in html
        assert f">{label}</label>" in html and ">VIP</option>" in html


def test_a_ticket_opens_with_a_chosen_tag_and_a_new_one(client, cast):
    vip = _tag(cast.acme, "VIP")
    login(client, cast.member)
    response = client.post(
        reverse("support:create"),
        {"subject": "Tagged", "priority": "normal", "tags": [str(vip.pk)], "new_tags": "請求"},
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        ticket = Ticket.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _tags_of(ticket) == ["VIP", "請求"]


def test_tags_change_in_the_properties_and_are_audited(client, cast):
    vip = _tag(cast.acme, "VIP")
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    response = client.post(
        reverse("support:change", args=[ticket.pk]),
        {"status": "new", "priority": "normal", "tags": [str(vip.pk)]},
    )
    assert response.status_code == 302
    assert _tags_of(ticket) == ["VIP"]
    with scope(workspace=cast.acme):
        assert events("support.ticket.updated")[-1].payload["fields"] == ["tags"]


def test_another_workspaces_tag_is_refused_and_nothing_changes(cast):
    ticket = open_ticket(cast.acme, cast.member)
    foreign = _tag(cast.globex, "Globex secret")
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.ticket_change(
            membership=membership_in(cast.acme, cast.member),
            ticket=ticket,
            priority="urgent",
            tag_ids=[foreign.pk],
        )
    assert refused.value.field == "tags"
    with scope(workspace=cast.acme):
        assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert _tags_of(ticket) == []


@pytest.mark.parametrize(("language", "label"), [("en", "Remove tag"), ("ja", "タグを外す")])
def test_tags_are_added_and_removed_in_bulk_from_the_ticket_list(client, cast, language, label):
    first = open_ticket(cast.acme, cast.member)
    second = open_ticket(cast.acme, cast.member)
    vip = _tag(cast.acme, "VIP")
    login(client, cast.member)
    html = client.get(reverse("support:tickets"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert label in html and ">VIP</option>" in html
    url = reverse("support:bulk")
    ids = [str(first.pk), str(second.pk)]
    client.post(url, {"ids": ids, "action": "tag_add", "value_tag_add": str(vip.pk)})
    assert _tags_of(first) == _tags_of(second) == ["VIP"]
    with scope(workspace=cast.acme):
        added = [e for e in events("support.ticket.updated") if e.payload.get("bulk")]
    assert sorted(str(e.object_id) for e in added) == sorted(ids)
    assert all(e.payload["fields"] == ["tags"] for e in added)
    client.post(
        url, {"ids": [str(first.pk)], "action": "tag_remove", "value_tag_remove": str(vip.pk)}
    )
    assert _tags_of(first) == [] and _tags_of(second) == ["VIP"]
