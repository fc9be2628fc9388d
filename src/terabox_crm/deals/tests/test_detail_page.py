"""The deal page: its company and contact, and the product's own words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login


@pytest.fixture
def deal(cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Terabox Systems", name_kana="テラボックス")
    contact = make_contact(owner)
    pipeline = make_pipeline(cast.acme, cast.owner)
    return make_deal(
        cast.acme, cast.member, pipeline, name="Rollout", company=company, contact=contact
    )


def test_the_deal_page_links_its_company_and_contact(client, cast, deal):
    login(client, cast.member)
    html = client.get(reverse("deals:detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = html.content.decode()
    assert reverse("companies:detail", args=[deal.company_id]) in text
    assert reverse("contacts:detail", args=[deal.contact_id]) in text
    assert "Terabox Systems" in text


def test_japanese_labels_are_the_products_not_a_librarys(client, cast, deal):
    # A library listed before the product's apps once turned 担当者 into
    # オーナー and 作成日時 into 作成された (its own translations won).
    login(client, cast.member)
    text = client.get(reverse("deals:detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    html = text.content.decode()
    assert "担当者" in html
    assert "作成日時" in html
    assert "作成された" not in html
