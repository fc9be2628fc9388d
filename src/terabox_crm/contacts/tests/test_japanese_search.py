"""Japanese search finds what people type (S3,
docs/decisions/0010-company-name-search.md): company names by any word
(legal forms ignored), full names typed without a space, readings stored in
katakana, the reindex of rows written before, and no term crossing
workspaces."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import search, selectors
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import search_reindex
from terabox_crm.core.models import Membership
from terabox_crm.crypto import normalise, search_index, words
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.ops import demo_crm
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

THE_FIVE = {
    "さくら": "株式会社さくら物流",
    "さくら物流": "株式会社さくら物流",
    "みなと": "みなと銀行",
    "物流": "株式会社さくら物流",
}


@pytest.fixture
def demo(cast):
    """The demo seeder's data, written through the services (so with the new
    terms). The demo's owner is also its privacy officer (``ops.demo``)."""
    with scopes_disabled():
        Membership.objects.filter(pk=cast.owner_membership.pk).update(is_privacy_officer=True)
    owner = member_of(cast.acme, cast.owner)
    demo_crm.seed(cast.acme, cast.owner)
    return owner


def found_names(membership, query: str) -> tuple[list[str], list[str]]:
    with scope(workspace=membership.workspace):
        results = selectors.global_search(membership, query)
        return (
            [contact.display_name for contact in results.contacts],
            [company.name for company in results.companies],
        )


@pytest.mark.parametrize("query", sorted(THE_FIVE))
def test_company_found_by_any_word_in_the_demo(demo, query):
    _contacts, companies = found_names(demo, query)
    assert THE_FIVE[query] in companies


def test_full_name_without_a_space_in_the_demo(demo):
    contacts, _companies = found_names(demo, "山田花子")
    assert contacts == ["山田 花子"]


@pytest.mark.parametrize(
    "query", ["山田花子", "花子山田", "ヤマダハナコ", "やまだはなこ", "山田 花子"]
)
def test_full_name_in_either_order_and_in_kana(cast, query):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")
    make_contact(owner, family="山田", given="太郎", family_kana="ヤマダ", given_kana="タロウ")
    contacts, _ = found_names(owner, query)
    assert contacts == ["山田 花子"]


def test_a_name_is_still_found_by_one_part(cast):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, family="山田", given="花子")
    assert found_names(owner, "花子")[0] == ["山田 花子"]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("株式会社さくら物流", "さくら物流株式会社"),
        ("（株）みなと精工", "みなと精工"),
        ("㈱みなと精工", "(株) みなと"),
        ("東京海上日動火災保険株式会社", "東京海上"),
        ("有限会社ひかり電機", "ひかり"),
        ("合同会社テラ", "テラ"),
        ("Acme Trading Co., Ltd.", "acme trading inc."),
        ("Sakura K.K.", "Sakura LLC"),
    ],
)
def test_legal_forms_are_ignored(cast, name, query):
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name=name)
    assert found_names(owner, query)[1] == [name]


def test_a_legal_form_alone_finds_no_company_that_merely_has_it(cast):
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name="株式会社さくら物流")
    assert found_names(owner, "株式会社")[1] == []
    assert found_names(owner, "inc")[1] == []


def test_business_terms_and_query_parts():
    assert words.business_terms("株式会社さくら物流") == ["さくら物流", "さくら", "物流"]
    assert words.business_terms("Terabox Co., Ltd.") == ["terabox"]
    assert words.business_query("東京海上") == [words.Part("東京海上", ("東京", "海上"))]
    assert words.business_query("") == []


def test_company_picker_finds_words_and_no_longer_asks_for_whole_words(client, cast):
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name="株式会社さくら物流")
    login(client, cast.member)
    url = reverse("companies:picker")
    body = client.get(url, {"company_name": "さくら"}, secure=True).content.decode()
    assert "株式会社さくら物流" in body
    empty = client.get(url, {"company_name": "zzz"}, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "whole word" not in empty.content.decode()


# --- Readings are stored in katakana -------------------------------------------------------


def test_katakana_normaliser():
    assert normalise.katakana("やまだ はなこ") == "ヤマダ ハナコ"
    assert normalise.katakana("ﾔﾏﾀﾞ") == "ヤマダ"
    assert normalise.katakana("Yamada 山田") == "Yamada 山田"


def test_hiragana_readings_are_stored_in_katakana(client, cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, family_kana="やまだ", given_kana="はなこ")
    company = make_company(owner, name="株式会社さくら物流", name_kana="さくらぶつりゅう")
    with scopes_disabled():
        contact = Contact.objects.get(pk=contact.pk)
        company = Company.objects.get(pk=company.pk)
    assert (contact.family_name_kana, contact.given_name_kana) == ("ヤマダ", "ハナコ")
    assert company.name_kana == "サクラブツリュウ"
    # The form goes through the same service.
    login(client, cast.member)
    response = client.post(
        reverse("companies:create"),
        {"name": "みなと精工", "name_kana": "みなとせいこう"},
        secure=True,
    )
    assert response.status_code == 302
    with scopes_disabled():
        kanas = {c.name_kana for c in Company.objects.filter(workspace=cast.acme)}
    assert "ミナトセイコウ" in kanas


# --- Workspaces never share terms ----------------------------------------------------------


def test_a_term_of_one_workspace_never_finds_another_workspaces_record(cast):
    acme = member_of(cast.acme, cast.owner)
    globex = member_of(cast.globex, cast.outsider)
    mine = make_company(acme, name="株式会社さくら物流")
    theirs = make_company(globex, name="株式会社さくら物流")
    make_contact(globex, family="山田", given="花子")
    assert found_names(acme, "さくら")[1] == ["株式会社さくら物流"]
    assert found_names(acme, "山田花子")[0] == []
    with scope(workspace=cast.acme):
        results = selectors.global_search(acme, "さくら")
    assert [c.pk for c in results.companies] == [mine.pk]
    # The same word is a different term in each workspace.
    assert (
        search_index.term(cast.acme.pk, search.COMPANY_NAME, "さくら")
        != search_index.term(cast.globex.pk, search.COMPANY_NAME, "さくら")
        or theirs.pk != mine.pk
    )


# --- Reindex -------------------------------------------------------------------------------


def _old_terms(workspace_id, company):
    """The terms rows had before words were indexed: whole runs only."""
    search_index.replace(
        workspace_id,
        search.COMPANY_NAME,
        company.pk,
        normalise.name_tokens(company.name) + normalise.name_tokens(company.name_kana),
    )


def test_reindex_rewrites_old_terms_in_resumable_batches(cast):
    owner = member_of(cast.acme, cast.owner)
    companies = [make_company(owner, name=f"株式会社さくら物流{n}号") for n in range(3)]
    make_company(owner, name="株式会社さくら物流")
    with scopes_disabled():
        old = list(Company.objects.filter(workspace=cast.acme).order_by("pk"))
        for company in old:
            _old_terms(cast.acme.pk, company)
    assert found_names(owner, "さくら")[1] == []

    saved: list[dict] = []

    class Stop(Exception):
        pass

    def stop_after_two(progress):
        saved.append(progress)
        if len(saved) == 2:
            raise Stop

    with scopes_disabled(), pytest.raises(Stop):
        search_reindex.reindex(workspace_ids=[cast.acme.pk], batch_size=1, save=stop_after_two)
    state = saved[-1][str(cast.acme.pk)]["contacts.company"]
    assert state["rows"] == 2 and not state["done"]
    found_halfway = len(found_names(owner, "さくら")[1])
    assert 0 < found_halfway < len(old)

    with scopes_disabled():
        progress = search_reindex.reindex(
            workspace_ids=[cast.acme.pk], progress=saved[-1], batch_size=1
        )
    assert progress[str(cast.acme.pk)]["__done__"]
    assert progress[str(cast.acme.pk)]["contacts.company"]["rows"] == len(old)
    assert sorted(found_names(owner, "さくら")[1]) == sorted(c.name for c in old)
    assert len(companies) == 3
    with scopes_disabled():
        from terabox_crm.audit.models import AuditEvent

        assert AuditEvent.objects.filter(
            action="crypto.search.reindexed", workspace_id=cast.acme.pk
        ).exists()


def test_reindex_touches_only_the_chosen_workspace(cast):
    acme = member_of(cast.acme, cast.owner)
    globex = member_of(cast.globex, cast.outsider)
    theirs = make_company(globex, name="株式会社みなと精工")
    with scopes_disabled():
        _old_terms(cast.globex.pk, Company.objects.get(pk=theirs.pk))
        before = SearchTerm.objects.filter(workspace_id=cast.globex.pk).count()
        search_reindex.reindex(workspace_ids=[cast.acme.pk])
        assert SearchTerm.objects.filter(workspace_id=cast.globex.pk).count() == before
    assert found_names(globex, "みなと")[1] == []
    assert found_names(acme, "みなと")[1] == []


# --- The search page: one table ------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_search_page_is_one_table_of_every_kind(client, cast, demo, language):
    login(client, cast.owner)
    response = client.get(
        reverse("contacts:search"), {"q": "さくら"}, secure=True, HTTP_ACCEPT_LANGUAGE=language
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-kind="company"') == 1
    assert 'data-kind="deal"' in body  # 「さくら物流 保守契約更新」…
    assert 'data-kind="ticket"' in body  # tickets of さくら物流
    assert "株式会社さくら物流" in body
    empty = "連絡先は見つかりませんでした" if language == "ja" else "No contacts found"
    assert empty not in body
    header = ("種類", "会社", "担当者") if language == "ja" else ("Type", "Company", "Owner")
    assert all(f'scope="col">{h}<' in body for h in header)


def test_search_page_hides_kinds_the_member_may_not_see(client, cast, demo):
    from terabox_crm.core import policy

    viewer = member_of(cast.acme, cast.viewer)
    login(client, cast.viewer)
    body = client.get(reverse("contacts:search"), {"q": "さくら"}, secure=True).content.decode()
    for kind, action in (("deal", "deals.view"), ("ticket", "tickets.view")):
        if not policy.can(viewer, action):
            assert f'data-kind="{kind}"' not in body


def test_search_page_says_nothing_matched(client, cast):
    login(client, cast.owner)
    body = client.get(
        reverse("contacts:search"), {"q": "存在しない名前"}, secure=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Nothing matches" in body and "<table" not in body


# --- 「＋新規作成」 in the company picker -----------------------------------------------------


def test_picker_offers_to_create_the_typed_company(client, cast):
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name="株式会社さくら物流")
    login(client, cast.member)
    url = reverse("companies:picker")
    body = client.get(url, {"company_name": "みなと精工"}, secure=True).content.decode()
    assert "＋新規作成：「みなと精工」" in body and 'data-create-company="みなと精工"' in body
    # A company named exactly what was typed is there: nothing to create.
    named = client.get(url, {"company_name": "株式会社さくら物流"}, secure=True).content.decode()
    assert "data-create-company" not in named
    # A word of it only: the match, and creating is still offered.
    word = client.get(url, {"company_name": "さくら"}, secure=True).content.decode()
    assert "株式会社さくら物流" in word and 'data-create-company="さくら"' in word


def test_picker_offers_no_creation_to_members_who_may_not_add_companies(client, cast):
    from terabox_crm.core import policy

    viewer = member_of(cast.acme, cast.viewer)
    assert not policy.can(viewer, "companies.add")
    login(client, cast.viewer)
    body = client.get(
        reverse("companies:picker"), {"company_name": "みなと精工"}, secure=True
    ).content.decode()
    assert "data-create-company" not in body
    refused = client.post(reverse("companies:quick_create"), {"name": "みなと精工"}, secure=True)
    assert refused.status_code == 403
    with scopes_disabled():
        assert not Company.objects.filter(workspace=cast.acme).exists()


def test_quick_create_makes_an_audited_company_found_by_its_words(client, cast):
    from terabox_crm.audit.models import AuditEvent

    login(client, cast.member)
    response = client.post(
        reverse("companies:quick_create"), {"name": "（株）みなと精工"}, secure=True
    )
    assert response.status_code == 201
    data = response.json()
    with scopes_disabled():
        company = Company.objects.get(pk=data["id"])
        assert company.workspace_id == cast.acme.pk and company.owner_id == cast.member.pk
        assert AuditEvent.objects.filter(
            action="contacts.company.created", object_id=str(company.pk)
        ).exists()
    assert data["name"] == "（株）みなと精工"
    assert found_names(member_of(cast.acme, cast.member), "みなと")[1] == ["（株）みなと精工"]


def test_quick_create_refuses_an_empty_name_with_a_problem(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("companies:quick_create"), {"name": "  "}, secure=True, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["detail"]
    with scopes_disabled():
        assert not Company.objects.filter(workspace=cast.acme).exists()


def test_api_stores_readings_in_katakana_and_finds_companies_by_a_word(client, cast):
    import json

    login(client, cast.member)

    def post(url, data):
        return client.post(url, json.dumps(data), content_type="application/json", secure=True)

    contact = post(
        "/api/v1/contacts/",
        {
            "family_name": "山田",
            "given_name": "花子",
            "family_name_kana": "やまだ",
            "given_name_kana": "ﾊﾅｺ",
        },
    )
    assert contact.status_code == 201, contact.content
    assert (contact.json()["family_name_kana"], contact.json()["given_name_kana"]) == (
        "ヤマダ",
        "ハナコ",
    )
    company = post("/api/v1/companies/", {"name": "株式会社さくら物流", "name_kana": "さくら"})
    assert company.status_code == 201 and company.json()["name_kana"] == "サクラ"
    found = client.get("/api/v1/companies/?q=物流", secure=True).json()["results"]
    assert [row["id"] for row in found] == [company.json()["id"]]
    assert client.get("/api/v1/companies/?q=株式会社", secure=True).json()["results"] == []
    people = client.get("/api/v1/contacts/?q=山田花子", secure=True).json()["results"]
    assert [row["id"] for row in people] == [contact.json()["id"]]
