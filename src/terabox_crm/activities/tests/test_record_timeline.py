"""The activities panel that this app contributes to a contact's, a company's
and a deal's page (``templatetags/activities.py``): the record's activities the
viewer may read (S6), and a "Log an activity" link for those who may log one."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login

PAGES = {"contact": "contacts:detail", "company": "companies:detail", "deal": "deals:detail"}


@pytest.fixture
def records(cast) -> dict:
    member = member_of(cast.acme, cast.member)
    return {
        "contact": make_contact(member),
        "company": make_company(member),
        "deal": make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner)),
    }


def _log(workspace, membership, subject, **links):
    with scope(workspace=workspace):
        return services.activity_log(
            membership=membership,
            data=services.ActivityData(
                kind="call",
                occurred_at=timezone.now(),
                subject=subject,
                links=services.Links(**links),
            ),
        )


@pytest.mark.parametrize("link", PAGES)
def test_each_record_page_lists_its_activities_and_where_to_log_one(client, cast, records, link):
    record = records[link]
    activity = _log(cast.acme, cast.member_membership, f"Call about the {link}", **{link: record})
    page_url = reverse(PAGES[link], args=[record.pk])
    login(client, cast.member)
    page = client.get(page_url).content.decode()
    assert f"Call about the {link}" in page
    assert reverse("activities:activity_delete", args=[activity.pk]) in page
    # Deleting sits in the item's ⋯ menu with a confirmation (docs/ui.md).
    menu = page.split('class="timeline-item-menu"', 1)[1].split("</details>", 1)[0]
    assert reverse("activities:activity_delete", args=[activity.pk]) in menu
    assert "data-confirm=" in menu and f'name="next" value="{page_url}"' in menu
    log_url = f"{reverse('activities:activity_create')}?{link}={record.pk}"
    # The log form returns to a deal by itself, to a contact or a company when told.
    expected = log_url if link == "deal" else f"{log_url}&amp;next={page_url}"
    assert f'href="{expected}"' in page


@pytest.mark.parametrize("link", PAGES)
def test_a_viewer_reads_the_panel_without_the_log_link(client, cast, records, link):
    record = records[link]
    _log(cast.acme, cast.member_membership, "Quarterly check-in", **{link: record})
    login(client, cast.viewer)
    page = client.get(reverse(PAGES[link], args=[record.pk])).content.decode()
    assert "Quarterly check-in" in page
    assert reverse("activities:activity_create") not in page


def test_the_panel_lists_only_the_activities_the_viewer_may_read(client, team_world):
    cast = team_world.cast
    contact = team_world.mine["contact"]
    _log(cast.acme, cast.member_membership, "Call by the member", contact=contact)
    _log(cast.acme, member_of(cast.acme, cast.admin), "Call by the admin", contact=contact)
    login(client, cast.member)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "Call by the member" in page
    assert "Call by the admin" not in page
    login(client, cast.admin)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "Call by the member" in page and "Call by the admin" in page


def test_the_panel_is_only_for_records_an_activity_links_to(rf, cast):
    request = rf.get("/")
    request.membership = cast.member_membership
    template = Template("{% load activities %}{% record_timeline record %}")
    with pytest.raises(ValueError, match="does not link to a membership"):
        template.render(Context({"request": request, "record": cast.member_membership}))
