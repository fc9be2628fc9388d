"""A restricted contact (利用停止, P7) is read-only for everyone but privacy
officers: the list offers no row checkbox for it (the bulk bar's edits)
to those who may not change it, and its edit page refuses them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.privacy import services as privacy
from terabox_crm.testing.auth import login
from terabox_crm.testing.purpose_gate import _officer

pytestmark = pytest.mark.django_db


def _restrict(contact) -> None:
    with scope(workspace=contact.workspace):
        privacy.restriction_set(
            membership=_officer(contact.workspace),
            subject_id=contact.pk,
            reason="asked by the person",
            requested_by="the person",
        )


def _checkboxes(body: str) -> set[str]:
    return set(re.findall(r'name="ids" value="([0-9a-f-]+)"', body))


def test_members_get_no_checkbox_for_a_restricted_contact_and_its_edit_page_refuses(client, cast):
    membership = member_of(cast.acme, cast.member)
    free = make_contact(membership, family="自由")
    held = make_contact(membership, family="停止")
    _restrict(held)
    login(client, cast.member)

    body = client.get(reverse("contacts:list"), secure=True).content.decode()

    assert _checkboxes(body) == {str(free.pk)}
    assert str(held.pk) in body  # still listed (and marked): nobody re-creates it
    edit = client.get(reverse("contacts:edit", args=[held.pk]), secure=True)
    assert edit.status_code == 403
    page = client.get(reverse("contacts:detail", args=[held.pk]), secure=True).content.decode()
    assert reverse("contacts:edit", args=[held.pk]) not in page


def test_a_privacy_officer_gets_the_checkbox_and_the_edit_page(client, cast):
    membership = member_of(cast.acme, cast.member)
    held = make_contact(membership, family="停止")
    _restrict(held)
    officer = _officer(cast.acme)
    login(client, officer.user)

    body = client.get(reverse("contacts:list"), secure=True).content.decode()

    assert _checkboxes(body) == {str(held.pk)}
    assert client.get(reverse("contacts:edit", args=[held.pk]), secure=True).status_code == 200


def test_the_locked_rows_cost_no_query_per_row(client, cast):
    membership = member_of(cast.acme, cast.member)
    login(client, cast.member)
    url = reverse("contacts:list")
    _restrict(make_contact(membership, family="停止0"))
    client.get(url, secure=True)
    with CaptureQueriesContext(connection) as one:
        client.get(url, secure=True)
    for n in range(1, 5):
        _restrict(make_contact(membership, family=f"停止{n}"))
    client.get(url, secure=True)
    with CaptureQueriesContext(connection) as five:
        body = client.get(url, secure=True).content.decode()
    assert body.count("data-label") > 0 and not _checkboxes(body)
    assert len(five.captured_queries) == len(one.captured_queries)
