"""Exact email/phone and whole-token name search over blind indexes (S3)."""

from __future__ import annotations

import pytest
from django_scopes import scope

from terabox_crm.contacts import search, selectors
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of


@pytest.fixture
def world(cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="テラボックス 株式会社", name_kana="テラボックス")
    hanako = make_contact(
        owner,
        emails=["Hanako.Yamada@Example.JP"],
        phones=["03-1234-5678"],
        company_id=company.pk,
    )
    taro = make_contact(
        owner,
        family="Suzuki",
        given="Taro",
        family_kana="すずき",
        given_kana="たろう",
        emails=["taro@example.com"],
        phones=["+81 90 1111 2222"],
    )
    return owner, hanako, taro, company


def _find(owner, query):
    with scope(workspace=owner.workspace):
        results = selectors.global_search(owner, query)
    return {c.pk for c in results.contacts}, {c.pk for c in results.companies}


@pytest.mark.parametrize(
    "query",
    [
        "hanako.yamada@example.jp",
        "  HANAKO.YAMADA@EXAMPLE.JP ",
        "ｈａｎａｋｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ",
    ],
)
def test_exact_email_in_any_case_or_width(world, query):
    owner, hanako, _taro, _company = world
    assert _find(owner, query)[0] == {hanako.pk}


@pytest.mark.parametrize(
    "query", ["0312345678", "03-1234-5678", "+81 3 1234 5678", "０３（１２３４）５６７８"]
)
def test_exact_phone_with_plus81_zero_and_fullwidth(world, query):
    owner, hanako, _taro, _company = world
    assert _find(owner, query)[0] == {hanako.pk}


@pytest.mark.parametrize("query", ["山田", "花子", "山田 花子", "やまだ", "ヤマダ はなこ", "ﾔﾏﾀﾞ"])
def test_whole_token_names_and_kana_in_either_script(world, query):
    owner, hanako, _taro, _company = world
    assert hanako.pk in _find(owner, query)[0]


def test_every_token_must_match(world):
    owner, _hanako, taro, _company = world
    assert _find(owner, "山田 Taro")[0] == set()
    assert _find(owner, "suzuki TARO")[0] == {taro.pk}


def test_partial_tokens_do_not_match(world):
    owner, *_ = world
    assert _find(owner, "山")[0] == set()
    assert _find(owner, "hanako.yamada@example")[0] == set()


def test_company_by_name_token_and_kana(world):
    owner, _hanako, _taro, company = world
    assert _find(owner, "テラボックス")[1] == {company.pk}
    assert _find(owner, "てらぼっくす")[1] == {company.pk}


def test_classify():
    assert search.classify("a@b.jp") == ("email", "a@b.jp")
    assert search.classify("090-1111-2222") == ("phone", "+819011112222")
    assert search.classify("山田 花子")[0] == "tokens"


def test_other_workspace_never_found(world, cast):
    from terabox_crm.contacts.tests.support import member_of as m

    outsider = m(cast.globex, cast.outsider)
    assert _find(outsider, "hanako.yamada@example.jp") == (set(), set())
    assert _find(outsider, "山田") == (set(), set())


def test_false_positive_candidates_are_filtered_by_decryption(world, monkeypatch):
    owner, hanako, taro, _company = world
    # Pretend the truncated index collides: every term returns every contact.
    monkeypatch.setattr(search, "matching", lambda queryset, ws, domain, values: queryset)
    assert _find(owner, "taro@example.com")[0] == {taro.pk}
    assert _find(owner, "山田")[0] == {hanako.pk}
