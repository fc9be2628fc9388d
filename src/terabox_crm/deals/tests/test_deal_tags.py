"""Deals carry the workspace's tags, through the same chip input as contacts
and companies (docs/ui.md "Tags are chips")."""

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.contacts.models import Tag
from terabox_crm.core.selectors import membership_in
from terabox_crm.core.tests.support import events
from terabox_crm.deals import services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def _tag(workspace, name):
    with scope(workspace=workspace):
        return Tag.objects.create(workspace=workspace, name=name)


def _tags_of(deal):
    with scope(workspace=deal.workspace):
        return sorted(Deal.objects.get(pk=deal.pk).tags.values_list("name", flat=True))


@pytest.mark.parametrize(("language", "label"), [("en", "Tags"), ("ja", "タグ")])
def test_the_deal_form_has_the_tag_chip_input(client, cast, pipeline, language, label):
    _tag(cast.acme, "VIP")
    login(client, cast.member)
    html = client.get(reverse("deals:create"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-chips-for="id_new_tags"' in html and "data-chips-new" in html
    assert f">{label}</label>" in html and ">VIP</option>" in html


def test_a_deal_is_saved_with_a_chosen_tag_and_a_new_one(client, cast, pipeline):
    vip = _tag(cast.acme, "VIP")
    login(client, cast.member)
    response = client.post(
        reverse("deals:create"),
        {
            "name": "Tagged deal",
            "stage": str(stage_named(pipeline, "Lead").pk),
            "currency": "JPY",
            "owner": str(membership_in(cast.acme, cast.member).pk),
            "tags": [str(vip.pk)],
            "new_tags": "展示会",
        },
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        deal = Deal.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _tags_of(deal) == ["VIP", "展示会"]
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert ">展示会</span>" in page


def test_changing_tags_is_audited_and_the_api_leaves_them_alone(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    vip = _tag(cast.acme, "VIP")
    membership = membership_in(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        data = services.DealData(name=deal.name, stage=deal.stage, tag_ids=[vip.pk])
        services.deal_update(membership=membership, deal=deal, data=data)
        assert events("deals.deal.updated")[-1].payload["fields"] == ["tags"]
        # Without tag_ids (the API's DealData) the tags are kept.
        data = services.DealData(name="Renamed", stage=deal.stage)
        services.deal_update(membership=membership, deal=deal, data=data)
    assert _tags_of(deal) == ["VIP"]


def test_another_workspaces_tag_is_refused_and_nothing_changes(cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    foreign = _tag(cast.globex, "Globex secret")
    membership = membership_in(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        data = services.DealData(name="Renamed", stage=deal.stage, tag_ids=[foreign.pk])
        with pytest.raises(Refusal) as refused:
            services.deal_update(membership=membership, deal=deal, data=data)
        assert refused.value.field == "tags"
        assert Deal.objects.get(pk=deal.pk).name == "Annual renewal"
    assert _tags_of(deal) == []


def test_a_foreign_tag_id_posted_to_the_form_is_not_a_choice(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    foreign = _tag(cast.globex, "Globex secret")
    login(client, cast.member)
    response = client.post(
        reverse("deals:edit", args=[deal.pk]),
        {
            "name": "Renamed",
            "stage": str(deal.stage_id),
            "currency": "JPY",
            "owner": str(membership_in(cast.acme, cast.member).pk),
            "tags": [str(foreign.pk)],
        },
    )
    assert response.status_code == 400
    assert "Globex secret" not in response.content.decode()
    assert _tags_of(deal) == []


@pytest.mark.parametrize(("language", "label"), [("en", "Add tag"), ("ja", "タグを追加")])
def test_the_deal_list_bulk_bar_offers_the_tags(client, cast, pipeline, language, label):
    make_deal(cast.acme, cast.member, pipeline)
    _tag(cast.acme, "VIP")
    _tag(cast.globex, "Globex secret")
    login(client, cast.member)
    html = client.get(reverse("deals:list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert label in html and ">VIP</option>" in html
    assert "Globex secret" not in html


def test_tags_are_added_and_removed_in_bulk_from_the_list(client, cast, pipeline):
    first = make_deal(cast.acme, cast.member, pipeline, name="First")
    second = make_deal(cast.acme, cast.member, pipeline, name="Second")
    vip = _tag(cast.acme, "VIP")
    login(client, cast.member)
    url = reverse("deals:bulk")
    ids = [str(first.pk), str(second.pk)]
    client.post(url, {"ids": ids, "action": "tag_add", "value_tag_add": str(vip.pk)})
    assert _tags_of(first) == _tags_of(second) == ["VIP"]
    with scope(workspace=cast.acme):
        added = events("deals.deal.updated")
    assert sorted(str(e.object_id) for e in added) == sorted(ids)
    assert all(e.payload == {"fields": ["tags"], "bulk": True} for e in added)
    client.post(
        url, {"ids": [str(first.pk)], "action": "tag_remove", "value_tag_remove": str(vip.pk)}
    )
    assert _tags_of(first) == [] and _tags_of(second) == ["VIP"]


def test_a_bulk_tag_of_another_workspace_changes_nothing(client, cast, pipeline):
    deal = make_deal(cast.acme, cast.member, pipeline)
    foreign = _tag(cast.globex, "Globex secret")
    login(client, cast.member)
    client.post(
        reverse("deals:bulk"),
        {"ids": [str(deal.pk)], "action": "tag_add", "value_tag_add": str(foreign.pk)},
    )
    assert _tags_of(deal) == []
    with scope(workspace=cast.acme):
        assert not events("deals.deal.updated")
