"""A contact whose use is restricted (利用停止, P7) stays stored, is found by
search (so nobody re-creates it) and is marked in every list and page that
names it: the contacts list and search, the deals, tasks and tickets lists,
the home page and the duplicates found for a new look-alike — in Japanese
and English, each list with one query for the marks, not one per row."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services as activities
from terabox_crm.contacts import services as contacts
from terabox_crm.core.selectors import membership_in
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.lists import services as lists
from terabox_crm.privacy import services as privacy
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login
from terabox_crm.testing.purpose_gate import _officer

pytestmark = pytest.mark.django_db

MARK = {"ja": "利用停止中", "en": "Use restricted"}


@pytest.fixture
def world(cast):
    """One restricted contact and one free one, each with a deal, a task and a
    ticket, made by a member through the services."""
    member = membership_in(cast.acme, cast.member)
    pipeline = make_pipeline(cast.acme, cast.owner)
    made = {}
    for name in ("停止", "自由"):
        with scope(workspace=cast.acme):
            contact = contacts.contact_create(
                membership=member,
                data=contacts.ContactData(
                    family_name=name,
                    given_name="花子",
                    emails=[contacts.EmailIn(value=f"{name.encode().hex()}@example.com")],
                ),
            )
            activities.task_create(
                membership=member,
                data=activities.TaskData(
                    title=f"{name}さんに電話",
                    due_at=timezone.now(),
                    assignee=cast.member,
                    links=activities.Links(contact=contact),
                ),
            )
        make_deal(cast.acme, cast.member, pipeline, name=f"{name}の商談", contact=contact.pk)
        open_ticket(cast.acme, cast.member, subject=f"{name}の問い合わせ", contact=contact)
        made[name] = contact
    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=_officer(cast.acme),
            subject_id=made["停止"].pk,
            reason="本人から利用停止の請求",
            requested_by="本人",
        )
    # The deals and tickets lists show the contact only when the reader chose
    # that column (the tasks list's "Related to" is shown by default).
    for key, column, permission in (
        ("deals", "contact", "deals.view"),
        ("tickets", "requester", "tickets.view"),
    ):
        with scope(workspace=cast.acme):
            lists.columns_save(
                membership=member, list_key=key, columns=[column], permission=permission
            )
    return made


def _marked_rows(body: str, mark: str) -> list[str]:
    """The table rows or list items of ``body`` that carry the mark."""
    pieces = re.findall(r"<(?:tr|li)\b.*?</(?:tr|li)>", body, flags=re.S)
    return [piece for piece in pieces if mark in piece]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "name",
    ["contacts:list", "deals:list", "activities:tasks", "support:tickets", "web:home", "search"],
)
def test_every_list_marks_the_restricted_contact_and_only_it(client, cast, world, language, name):
    login(client, cast.member)
    url = reverse("contacts:search") + "?q=停止" if name == "search" else reverse(name)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    restricted, free = world["停止"], world["自由"]
    marked = _marked_rows(body, MARK[language])
    assert marked, f"{url}: the restricted contact is not marked"
    assert all(str(free.pk) not in row for row in marked), f"{url}: a free contact is marked"
    if "q=" in url:  # found by search, so nobody re-creates it
        assert any(str(restricted.pk) in row for row in marked)


def test_a_new_look_alike_shows_the_existing_contact_as_restricted(client, cast, world):
    restricted = world["停止"]
    login(client, cast.member)
    with scope(workspace=cast.acme):
        twin = contacts.contact_create(
            membership=membership_in(cast.acme, cast.member),
            data=contacts.ContactData(
                family_name="停止",
                given_name="花子",
                emails=[contacts.EmailIn(value=f"{'停止'.encode().hex()}@example.com")],
            ),
        )
    body = client.get(reverse("contacts:duplicates", args=[twin.pk])).content.decode()
    assert any(str(restricted.pk) in row for row in _marked_rows(body, MARK["ja"]))


@pytest.mark.parametrize("url", ["deals:list", "activities:tasks", "support:tickets"])
def test_the_marks_of_a_list_cost_one_query_not_one_per_row(client, cast, world, url):
    login(client, cast.member)
    client.get(reverse(url))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(url))
    more = membership_in(cast.acme, cast.member)
    pipeline = make_pipeline(cast.acme, cast.owner, name="More")
    for n in range(5):
        with scope(workspace=cast.acme):
            contact = contacts.contact_create(
                membership=more, data=contacts.ContactData(family_name=f"追加{n}")
            )
            activities.task_create(
                membership=more,
                data=activities.TaskData(
                    title=f"追加{n}",
                    due_at=timezone.now(),
                    assignee=cast.member,
                    links=activities.Links(contact=contact),
                ),
            )
        make_deal(cast.acme, cast.member, pipeline, name=f"追加{n}", contact=contact.pk)
        open_ticket(cast.acme, cast.member, subject=f"追加{n}", contact=contact)
        with scope(workspace=cast.acme):
            privacy.restriction_set(
                membership=_officer(cast.acme),
                subject_id=contact.pk,
                reason="請求",
                requested_by="本人",
            )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(url))
    restriction_reads = [
        q["sql"] for q in many.captured_queries if "privacy_restriction" in q["sql"]
    ]
    assert len(restriction_reads) <= len(
        [q for q in few.captured_queries if "privacy_restriction" in q["sql"]]
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_search_dropdown_marks_the_restricted_contact_and_only_it(
    client, cast, world, language
):
    """The top bar's suggestions name contacts like a list does: the
    restricted one carries the mark in words, the free one does not."""
    login(client, cast.member)
    response = client.get(
        reverse("web:search_suggest"),
        {"q": "花子"},
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    options = re.findall(r"<a\b[^>]*role=\"option\".*?</a>", body, flags=re.S)
    restricted, free = world["停止"], world["自由"]
    [marked] = [option for option in options if str(restricted.pk) in option]
    [unmarked] = [option for option in options if str(free.pk) in option]
    assert MARK[language] in marked
    assert MARK[language] not in unmarked
