"""The top bar's live search dropdown: grouped suggestions with links, through
the same permissions and scoping as the search page, whole tokens by default
and prefixes when the workspace turned prefix search on."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import prefix_search
from terabox_crm.core.models import Membership, RecordVisibility, Team, Workspace
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login
from terabox_crm.web.tests.html import csp_violations, parse

SUGGEST = reverse("web:search_suggest")
HTMX = {"HTTP_HX_REQUEST": "true"}


def suggest(client, query, language="en"):
    response = client.get(SUGGEST, {"q": query}, HTTP_ACCEPT_LANGUAGE=language, **HTMX)
    assert response.status_code == 200
    return response


def options(response) -> list[tuple[str, str]]:
    """(href, text) of every option, "all results" last."""
    return [
        (a.attrs["href"], a.text().strip())
        for a in parse(response.content).find_all("a")
        if a.attrs.get("role") == "option"
    ]


def hrefs(response) -> set[str]:
    return {href for href, _text in options(response)}


def turn_on_prefix_search(workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(
        name_prefix_search=True, name_prefix_progress={"done": False}
    )
    assert prefix_search.sync_prefixes(workspace.pk) is True


@pytest.fixture
def world(cast):
    owner = member_of(cast.acme, cast.owner)
    yamada = make_contact(owner)  # 山田 花子 / ヤマダ ハナコ
    company = make_company(owner, name="山田 商事", name_kana="ヤマダ ショウジ")
    pipeline = make_pipeline(cast.acme, cast.owner)
    deal = make_deal(cast.acme, cast.owner, pipeline, name="山田 追加契約")
    return owner, yamada, company, deal


def test_groups_contacts_companies_and_deals_with_links(client, cast, world):
    _owner, yamada, company, deal = world
    login(client, cast.member)
    response = suggest(client, "山田")
    tree = parse(response.content)
    headings = [e.text().strip() for e in tree.find_all(cls="typeahead-heading")]
    assert headings == ["Contacts", "Companies", "Deals"]
    found = options(response)
    assert found[:3] == [
        (reverse("contacts:detail", args=[yamada.pk]), "山田 花子"),  # kanji: family first
        (reverse("companies:detail", args=[company.pk]), "山田 商事"),
        (reverse("deals:detail", args=[deal.pk]), "山田 追加契約Lead"),
    ]
    all_results = found[-1]
    assert all_results[0] == reverse("contacts:search") + "?q=%E5%B1%B1%E7%94%B0"
    assert all_results[1] == "All results for “山田”"
    assert all(a.attrs.get("id") for a in tree.find_all("a"))  # aria-activedescendant targets
    assert csp_violations(response.content) == []


def test_headings_and_texts_in_japanese(client, cast, world):
    login(client, cast.member)
    response = suggest(client, "山田", language="ja")
    tree = parse(response.content)
    headings = [e.text().strip() for e in tree.find_all(cls="typeahead-heading")]
    assert headings == ["連絡先", "会社", "商談"]
    assert options(response)[-1][1] == "「山田」のすべての結果"
    nothing = suggest(client, "存在しない名前", language="ja")
    assert options(nothing)[-1][1] == "候補はありません。「存在しない名前」で検索"


def test_whole_tokens_only_while_prefix_search_is_off(client, cast, world):
    _owner, yamada, _company, _deal = world
    login(client, cast.member)
    assert hrefs(suggest(client, "やま")) == {reverse("contacts:search") + "?q=%E3%82%84%E3%81%BE"}
    assert reverse("contacts:detail", args=[yamada.pk]) in hrefs(suggest(client, "やまだ"))


def test_prefixes_when_the_workspace_turned_it_on(client, cast, world):
    owner, yamada, company, deal = world
    smith = make_contact(owner, family="Smith", given="Anna", family_kana="", given_kana="")
    turn_on_prefix_search(cast.acme)
    login(client, cast.member)
    found = hrefs(suggest(client, "やま"))
    assert reverse("contacts:detail", args=[yamada.pk]) in found
    assert reverse("companies:detail", args=[company.pk]) in found
    assert reverse("deals:detail", args=[deal.pk]) not in found  # deal names: whole tokens only
    assert reverse("contacts:detail", args=[smith.pk]) in hrefs(suggest(client, "smi"))
    assert reverse("contacts:detail", args=[smith.pk]) in hrefs(suggest(client, "SMITH anna"))


def test_an_email_or_phone_finds_the_contact_exactly(client, cast, world):
    owner, *_ = world
    taro = make_contact(owner, family="Suzuki", emails=["taro@example.jp"], phones=["0312345678"])
    login(client, cast.viewer)
    assert reverse("contacts:detail", args=[taro.pk]) in hrefs(suggest(client, "taro@example.jp"))
    assert reverse("contacts:detail", args=[taro.pk]) in hrefs(suggest(client, "03-1234-5678"))


def test_a_query_too_short_suggests_nothing(client, cast, world):
    login(client, cast.member)
    assert options(suggest(client, "山")) == []
    assert options(suggest(client, "  ")) == []


def test_at_most_eight_suggestions_shared_between_groups(client, cast, world):
    owner, *_ = world
    for n in range(10):
        make_contact(owner, given=f"花子{n}")
    login(client, cast.member)
    found = [href for href, _ in options(suggest(client, "山田"))][:-1]
    assert len(found) == 8
    assert sum(href.startswith("/contacts/") for href in found) == 6  # 1 company + 1 deal kept


def test_without_htmx_the_search_page_answers(client, cast, world):
    login(client, cast.member)
    response = client.get(SUGGEST, {"q": "山田"})
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:search") + "?q=%E5%B1%B1%E7%94%B0"


def test_never_another_workspaces_rows(client, cast, world):
    foreign = member_of(cast.globex, cast.outsider)
    stranger = make_contact(foreign)  # also 山田 花子
    turn_on_prefix_search(cast.globex)
    turn_on_prefix_search(cast.acme)
    login(client, cast.owner)
    for query in ("山田", "やま", "やまだ"):
        assert reverse("contacts:detail", args=[stranger.pk]) not in hrefs(suggest(client, query))
    login(client, cast.outsider)
    found = hrefs(suggest(client, "山田"))
    assert found == {
        reverse("contacts:detail", args=[stranger.pk]),
        *{h for h in found if "?q=" in h},
    }


def test_team_visibility_is_respected(client, cast, world):
    owner, yamada, company, deal = world
    with scopes_disabled():
        sales = Team.objects.create(workspace=cast.acme, name="Sales")
        Membership.objects.filter(user=cast.member).update(team=sales)
    ours = make_contact(owner, given="次郎", owner_id=cast.member.pk)
    Workspace.objects.filter(pk=cast.acme.pk).update(record_visibility=RecordVisibility.TEAM)
    login(client, cast.member)
    found = hrefs(suggest(client, "山田"))
    assert reverse("contacts:detail", args=[ours.pk]) in found
    assert reverse("contacts:detail", args=[yamada.pk]) not in found
    assert reverse("companies:detail", args=[company.pk]) not in found
    assert reverse("deals:detail", args=[deal.pk]) not in found
    login(client, cast.viewer)  # a viewer without a team reads nothing of others
    assert [h for h in hrefs(suggest(client, "山田")) if "?q=" not in h] == []


def test_needs_sign_in_and_a_membership(client, cast, world):
    response = client.get(SUGGEST, {"q": "山田"}, **HTMX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    lonely = cast.outsider
    with scopes_disabled():
        Membership.objects.filter(user=lonely).delete()
    login(client, lonely)
    assert client.get(SUGGEST, {"q": "山田"}, **HTMX).status_code in {302, 403}


def test_the_top_bar_box_is_a_combobox_for_readers(client, cast):
    login(client, cast.viewer)
    tree = parse(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content)
    box = next(e for e in tree.find_all("input") if e.attrs.get("id") == "global-search")
    assert box.attrs["role"] == "combobox"
    assert box.attrs["aria-controls"] == "global-search-listbox"
    assert box.attrs["aria-expanded"] == "false"
    assert box.attrs["hx-get"] == SUGGEST
    listbox = next(e for e in tree.find_all("div") if e.attrs.get("id") == "global-search-listbox")
    assert listbox.attrs["role"] == "listbox"
    assert box.parent.attrs["action"] == reverse("contacts:search")  # Enter: the search page


def test_query_count_does_not_grow_with_the_matches(
    client, cast, world, django_assert_max_num_queries
):
    owner, *_ = world
    login(client, cast.member)
    suggest(client, "山田")  # warm the session and key caches
    with django_assert_max_num_queries(40) as few:
        suggest(client, "山田")
    for n in range(8):
        company = make_company(owner, name=f"山田 {n}号店")
        make_contact(owner, given=f"花子{n}", company_id=company.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = suggest(client, "山田")
    assert len(options(response)) == 9
