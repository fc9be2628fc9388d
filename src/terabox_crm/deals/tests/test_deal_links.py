"""A deal's page shows its tasks and a timeline of what happened to it, like
a contact's and a company's (SPEC §2); the deal list filters by contact or
company for a record page's "See all deals", without crossing workspaces."""

from __future__ import annotations

import re

from django.urls import reverse

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login


def test_the_deal_page_has_tasks_with_a_prefilled_new_task_and_a_timeline(client, cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    login(client, cast.member)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert f"{reverse('activities:task_create')}?deal={deal.pk}" in page
    assert 'id="tasks-title"' in page
    assert 'id="timeline-title"' in page
    assert re.search(r"<time [^>]*datetime=", page)  # the creation event on the timeline


def test_see_all_deals_of_a_contact_lists_theirs_only(client, cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    contact = make_contact(member_of(cast.acme, cast.member))
    make_deal(cast.acme, cast.member, pipeline, name="山田様の案件", contact=contact)
    make_deal(cast.acme, cast.member, pipeline, name="別の案件")
    login(client, cast.member)
    page = client.get(f"{reverse('deals:list')}?contact={contact.pk}").content.decode()
    assert "山田様の案件" in page and "別の案件" not in page


def test_see_all_deals_never_shows_another_workspaces(client, team_world):
    cast = team_world.cast
    foreign = team_world.foreign["contact"]
    make_deal(
        cast.globex,
        cast.outsider,
        make_pipeline(cast.globex, cast.outsider),
        name="他社",
        contact=foreign,
    )
    login(client, cast.member)
    page = client.get(f"{reverse('deals:list')}?contact={foreign.pk}").content.decode()
    assert "他社" not in page
