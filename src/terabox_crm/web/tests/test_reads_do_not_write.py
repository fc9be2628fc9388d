"""Reads do not write (S14, docs/performance.md): a signed-in GET — a page or
an API call, with a session or a bearer token — runs no INSERT, UPDATE,
DELETE or transaction once the minute's "last seen", idle deadline and token
use have been noted. On SQLite each of those would take the database's single
write lock, so page views would queue behind each other and behind imports."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from terabox_crm.api import services as api_services
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE", "SAVEPOINT", "BEGIN",
           "RELEASE", "COMMIT", "CREATE", "DROP", "ALTER")  # fmt: skip


def statements_that_write(client, url: str, **headers) -> list[str]:
    """Every statement one GET of ``url`` ran that writes, locks or opens a transaction.

    The test runs inside a transaction, so an ``atomic()`` block shows up as a
    SAVEPOINT here — outside a test it would be ``BEGIN IMMEDIATE`` on SQLite.
    (A PostgreSQL ``DECLARE … CURSOR FOR SELECT`` is a read.)
    """
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(WRITING) or "FOR UPDATE" in q["sql"].upper()
    ]


@pytest.fixture
def records(cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    pipeline = make_pipeline(cast.acme, cast.owner)
    deal = make_deal(cast.acme, cast.owner, pipeline)
    return {"contact": contact, "deal": deal}


PAGES = {
    "home": lambda r: reverse("web:home"),
    "contact_list": lambda r: reverse("contacts:list"),
    "contact_page": lambda r: reverse("contacts:detail", args=[r["contact"].pk]),
    "deal_board": lambda r: reverse("deals:board"),
    "deal_page": lambda r: reverse("deals:detail", args=[r["deal"].pk]),
    "task_list": lambda r: reverse("activities:tasks"),
    "ticket_list": lambda r: reverse("support:tickets"),
    "session_list": lambda r: reverse("accounts:security"),
    "api_contacts_with_session": lambda r: "/api/v1/contacts/",
    "api_deals_with_session": lambda r: "/api/v1/deals/",
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_second_signed_in_read_within_a_minute_writes_nothing(client, cast, records, page):
    url = PAGES[page](records)
    login(client, cast.member)
    client.get(url)  # the first read may note "last seen" and the workspace in use
    assert statements_that_write(client, url) == []


def test_second_bearer_token_read_within_a_minute_writes_nothing(cast, records):
    secret = api_services.token_create(
        membership=cast.member_membership, name="reader", scopes="read"
    ).secret
    client = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    first = statements_that_write(client, "/api/v1/contacts/", **bearer)
    assert len(first) == 1 and "last_used_at" in first[0]  # once a minute, a hint for the user
    assert statements_that_write(client, "/api/v1/contacts/", **bearer) == []


def test_signed_in_read_within_a_minute_sends_no_session_cookie(client, cast):
    login(client, cast.member)
    client.get(reverse("web:home"))
    response = client.get(reverse("web:home"))
    assert "__Host-sessionid" not in response.cookies


def test_anonymous_sign_in_page_writes_nothing(client, db):
    assert statements_that_write(Client(), reverse("accounts:login")) == []
