"""What an event is about, as people read it (audit/targets.py, S5, S6): a
contact's event reads 「連絡先：山田 花子」 with a link to the contact, not
``contacts.contact`` and a UUID; a reader who may not read the record, or a
record that is gone, shows its kind alone; a page of events of many records
costs one query per kind."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from terabox_crm.audit import targets
from terabox_crm.auditlog import selectors
from terabox_crm.contacts import services as contacts
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit:trail")


def _trail(client, user, language: str) -> str:
    login(client, user)
    response = client.get(TRAIL, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "contact_kind", "separator"), [("ja", "連絡先", "："), ("en", "Contact", ": ")]
)
def test_a_contacts_event_names_the_contact_with_a_link(
    client, cast, language, contact_kind, separator
):
    contact = make_contact(member_of(cast.acme, cast.member))
    page = _trail(client, cast.owner, language)
    url = reverse("contacts:detail", args=[contact.pk])
    results = page.split('id="audit-results"', 1)[1]
    assert f'{contact_kind}{separator}<a href="{url}">山田 花子</a>' in results
    assert ">contacts.contact<" not in results
    # The id only in the link, never as text.
    assert results.count(str(contact.pk)) == results.count(f'href="{url}"')


def test_every_kind_of_record_is_named_and_linked(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member)
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    ticket = open_ticket(cast.acme, cast.member, subject="ログインできない")
    page = _trail(client, cast.owner, "ja")
    assert f'会社：<a href="{reverse("companies:detail", args=[company.pk])}">' in page
    assert f'商談：<a href="{reverse("deals:detail", args=[deal.pk])}">{deal.name}</a>' in page
    assert (
        f'チケット：<a href="{reverse("support:ticket", args=[ticket.pk])}">'
        f"#{ticket.number} ログインできない</a>"
    ) in page


def test_a_deleted_record_shows_its_kind_alone(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    with scope(workspace=cast.acme):
        contacts.contact_delete(membership=cast.owner_membership, contact=contact)
    page = _trail(client, cast.owner, "ja")
    results = page.split('id="audit-results"', 1)[1]
    assert "<td>連絡先</td>" in results
    assert "山田 花子" not in results
    assert str(contact.pk) not in results


def test_a_reader_sees_no_name_of_a_record_they_may_not_read(cast):
    """Team visibility: the auditor in another team reads the trail, not the
    record, so the target is its kind alone."""
    cast.acme.record_visibility = "team"
    cast.acme.save(update_fields=["record_visibility"])
    contact = make_contact(member_of(cast.acme, cast.member))
    cast.viewer_membership.is_auditor = True
    cast.viewer_membership.save(update_fields=["is_auditor"])
    described = targets.describe(cast.viewer_membership, [("contacts.contact", str(contact.pk))])
    assert described[("contacts.contact", str(contact.pk))] == targets.Target(label="連絡先")
    owner_view = targets.describe(cast.owner_membership, [("contacts.contact", str(contact.pk))])
    assert owner_view[("contacts.contact", str(contact.pk))].name == "山田 花子"


def test_unregistered_kinds_read_as_their_model_name():
    assert targets.kind_label("core.workspace") == "ワークスペース"
    assert targets.kind_label("nothing.here") == "nothing.here"


def test_a_page_of_many_records_costs_one_query_per_kind(cast):
    member = member_of(cast.acme, cast.member)
    for index in range(3):
        make_contact(member, family=f"山田{index}")
    with CaptureQueriesContext(connection) as small:
        selectors.trail_page(workspace=cast.acme, membership=cast.owner_membership)
    for index in range(12):
        make_contact(member, family=f"佐藤{index}")
    with CaptureQueriesContext(connection) as large:
        page = selectors.trail_page(workspace=cast.acme, membership=cast.owner_membership)
    assert len(large) <= len(small)
    assert sum(1 for e in page.entries if e.target and e.target.name.startswith("佐藤")) == 12
