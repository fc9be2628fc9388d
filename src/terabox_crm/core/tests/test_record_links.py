"""``core.records.readable``: a linked record is one the actor may read, and
any other id gets the answer of an id that names nothing (S6); the refusal of
a record that exists is a security event, at most so many per window (S7)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django_scopes import scope

from terabox_crm.contacts.models import Company, Contact
from terabox_crm.contacts.tests.support import member_of
from terabox_crm.core import records
from terabox_crm.refusals import Refusal
from terabox_crm.testing.links import HIDDEN_COMPANY, refusals_recorded


def _refusal(membership, model, value, field="company") -> Refusal:
    with pytest.raises(Refusal) as refused:
        records.readable(membership, model, value, field=field)
    return refused.value


def _answer(refusal: Refusal) -> tuple:
    return (str(refusal.message), refusal.code, refusal.status, refusal.field)


def test_a_record_the_member_may_read_is_returned(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    company = team_world.mine["company"]
    assert records.readable(member, Company, str(company.pk), field="company") == company


def test_a_record_given_as_itself_is_read_again_and_checked(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    refusal = _refusal(member, Company, team_world.hidden["company"])
    assert refusal.code == "unknown_company"


def test_an_unreadable_record_is_answered_like_one_that_does_not_exist(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    hidden = _refusal(member, Company, team_world.hidden["company"].pk)
    unknown = _refusal(member, Company, team_world.unknown())
    assert _answer(hidden) == _answer(unknown)
    with translation.override("en"):
        assert str(hidden.message) == "Choose a company of this workspace."


def test_another_workspaces_record_is_answered_like_one_that_does_not_exist(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    foreign = _refusal(member, Contact, team_world.foreign["contact"].pk, field="contact")
    unknown = _refusal(member, Contact, team_world.unknown(), field="contact")
    assert _answer(foreign) == _answer(unknown)


def test_a_malformed_id_is_answered_like_one_that_does_not_exist(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    malformed = _refusal(member, Company, "not-an-id")
    unknown = _refusal(member, Company, team_world.unknown())
    assert _answer(malformed) == _answer(unknown)
    assert malformed.audit_events == []


def test_the_owner_reads_what_the_member_may_not(team_world):
    owner = member_of(team_world.cast.acme, team_world.cast.owner)
    hidden = team_world.hidden["contact"]
    assert records.readable(owner, Contact, hidden.pk, field="contact") == hidden


def test_refusing_an_unreadable_record_carries_a_security_event_with_ids_only(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    company = team_world.hidden["company"]
    (event,) = _refusal(member, Company, company.pk).audit_events
    assert event["action"] == "security.permission.denied"
    assert (event["actor"], event["workspace"]) == (member.user_id, member.workspace_id)
    assert (event["object_type"], event["object_id"]) == ("contacts.company", str(company.pk))
    assert event["payload"] == {"attempted": "link.company", "reason": "unreadable_link"}


def test_an_id_that_names_nothing_is_not_recorded(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    assert _refusal(member, Company, team_world.unknown()).audit_events == []


def test_link_refusals_are_recorded_at_most_so_often_per_actor(team_world, monkeypatch):
    monkeypatch.setattr(records, "LINK_REFUSALS_RECORDED", 2)
    member = member_of(team_world.cast.acme, team_world.cast.member)
    carried = [
        len(_refusal(member, Company, team_world.hidden["company"].pk).audit_events)
        for _attempt in range(4)
    ]
    assert carried == [1, 1, 0, 0]


def test_readable_many_refuses_on_the_first_unreadable_link(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    links = {
        "company": (Company, team_world.mine["company"].pk),
        "contact": (Contact, team_world.hidden["contact"].pk),
    }
    with pytest.raises(Refusal) as refused:
        records.readable_many(member, links)
    assert refused.value.field == "contact"


def test_readable_many_keeps_a_link_that_did_not_change_without_a_check(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    hidden = team_world.hidden["contact"]
    found = records.readable_many(
        member,
        {"contact": (Contact, str(hidden.pk)), "company": (Company, None)},
        unchanged={"contact": hidden},
    )
    assert found == {"contact": hidden, "company": None}


def test_a_refusal_of_a_service_is_recorded_after_its_rollback(team_world):
    """The event survives the transaction the refusal rolled back (terabox_crm.refusals)."""
    from terabox_crm.deals import services
    from terabox_crm.deals.tests.factories import stage_named
    from terabox_crm.refusals import Refusal

    cast = team_world.cast
    data = services.DealData(
        name="Sneaky",
        stage=stage_named(team_world.pipeline, "Lead"),
        contact=team_world.hidden["contact"].pk,
    )
    with scope(workspace=cast.acme), pytest.raises(Refusal):
        services.deal_create(membership=cast.member_membership, data=data)
    (event,) = refusals_recorded()
    assert event.object_id == str(team_world.hidden["contact"].pk)


# --- Showing links ----------------------------------------------------------------------------

_SHOWN = Template(
    "{% load records %}{% if company|readable_by:membership %}{{ company.name }}"
    "{% else %}{% unreadable_record %}{% endif %}"
)


def test_a_page_shows_a_neutral_label_for_a_record_the_viewer_may_not_read(team_world):
    member = member_of(team_world.cast.acme, team_world.cast.member)
    with translation.override("en"):
        html = _SHOWN.render(
            Context({"company": team_world.hidden["company"], "membership": member})
        )
    assert HIDDEN_COMPANY not in html
    assert "a record you cannot see" in html


def test_a_page_shows_the_name_of_a_record_the_viewer_may_read(team_world):
    owner = member_of(team_world.cast.acme, team_world.cast.owner)
    html = _SHOWN.render(Context({"company": team_world.hidden["company"], "membership": owner}))
    assert HIDDEN_COMPANY in html
