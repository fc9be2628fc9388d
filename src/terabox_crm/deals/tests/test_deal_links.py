"""A deal's company and contact on the deal form: set from a contact or
company page, kept on edit, removable, and never another workspace's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.fixture
def world(cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Terabox Systems", name_kana="テラボックス")
    contact = make_contact(owner)
    pipeline = make_pipeline(cast.acme, cast.owner)
    return company, contact, pipeline


def _post(client, url, pipeline, cast, **extra):
    data = {
        "name": "Rollout",
        "stage": str(stage_named(pipeline, "Lead").pk),
        "currency": "JPY",
        "owner": str(member_of(cast.acme, cast.member).pk),
        **extra,
    }
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_new_deal_from_a_contact_page_is_linked_to_it(client, cast, world):
    company, contact, pipeline = world
    login(client, cast.member)
    page = client.get(reverse("contacts:detail", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert f"{reverse('deals:create')}?contact={contact.pk}" in page.content.decode()
    url = reverse("deals:create")
    form = client.get(
        url, {"contact": contact.pk, "company": company.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Terabox Systems" in form.content.decode()
    response = _post(client, url, pipeline, cast, contact=str(contact.pk), company=str(company.pk))
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        deal = Deal.objects.get()
    assert (deal.company_id, deal.contact_id) == (company.pk, contact.pk)


def test_editing_a_deal_keeps_its_links_unless_removed(client, cast, world):
    company, contact, pipeline = world
    deal = make_deal(cast.acme, cast.member, pipeline, company=company, contact=contact)
    login(client, cast.member)
    url = reverse("deals:edit", args=[deal.pk])
    form = client.get(url).content.decode()
    assert f'value="{company.pk}"' in form and f'value="{contact.pk}"' in form
    _post(client, url, pipeline, cast, company=str(company.pk), contact=str(contact.pk))
    deal.refresh_from_db()
    assert (deal.company_id, deal.contact_id) == (company.pk, contact.pk)
    _post(client, url, pipeline, cast, company=str(company.pk), contact=str(contact.pk),
          unlink_contact="on")  # fmt: skip
    deal.refresh_from_db()
    assert (deal.company_id, deal.contact_id) == (company.pk, None)


def test_another_workspaces_company_or_contact_is_refused_and_nothing_is_saved(client, cast, world):
    _company, _contact, pipeline = world
    outsider = member_of(cast.globex, cast.outsider)
    foreign_company = make_company(outsider, name="Globex secret", name_kana="")
    foreign_contact = make_contact(outsider, family="Secret", given="Person")
    login(client, cast.member)
    url = reverse("deals:create")
    page = client.get(url, {"company": foreign_company.pk, "contact": foreign_contact.pk})
    assert "Globex secret" not in page.content.decode()
    for field, value in (("company", foreign_company.pk), ("contact", foreign_contact.pk)):
        response = _post(client, url, pipeline, cast, **{field: str(value)})
        assert response.status_code == 400
        assert "of this workspace" in response.content.decode()
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()
