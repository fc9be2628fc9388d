"""The names phase (S3, docs/decisions/0010-company-name-search.md): company
names split into words, full names joined, at scale.

    .venv/bin/python bench/run.py --phase names --contacts 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --phase names --contacts 100000
    .venv/bin/python bench/run.py --phase names --smoke      # 2,000 companies

Measures, in one workspace:

1. **term computing** — µs per company name for its business terms
   (``words.business_terms``: legal forms, SudachiPy words) against the
   whole-token split used before (``normalise.name_tokens``), and per
   contact for its name terms with the joined full names against the parts
   alone; terms per row of each;
2. **the write path** — ``company_create`` and ``contact_create`` through the
   services, the new terms against the old ones (the term functions swapped
   in the same process, alternating blocks), ms per create;
3. **search at scale** — ``--contacts`` companies bulk-inserted with their
   terms (half named after a small set of words, so a word matches many), then
   the search page's company search (``selectors.global_search``) for a rare
   word, a common word and a full name without a space, p50/p99.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid

WORDS = [
    "さくら",
    "みなと",
    "ひかり",
    "あおば",
    "みどり",
    "すずらん",
    "やまと",
    "ふじ",
    "東京",
    "大阪",
    "北海道",
    "九州",
    "横浜",
    "名古屋",
    "京都",
    "神戸",
]
TRADES = [
    "物流",
    "精工",
    "電機",
    "建設",
    "食品",
    "商事",
    "銀行",
    "運輸",
    "観光",
    "ソフトウェア",
    "製薬",
    "不動産",
    "印刷",
    "工業",
    "システム",
    "保険",
]
FORMS = ["株式会社{}", "{}株式会社", "有限会社{}", "（株）{}", "{}", "合同会社{}"]


def company_name(rng: random.Random, index: int) -> str:
    core = rng.choice(WORDS) + rng.choice(TRADES)
    if index % 2:  # half the names hold a word of their own: rare words
        core = f"{core}{index:x}号"
    return rng.choice(FORMS).format(core)


def _per_call_us(function, values, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for value in values:
            function(value)
        best = min(best, (time.perf_counter() - began) / len(values))
    return round(best * 1e6, 2)


def term_costs(rng: random.Random) -> dict:
    from types import SimpleNamespace

    from terabox_crm.contacts import search
    from terabox_crm.crypto import normalise, words

    names = [company_name(rng, i) for i in range(2000)]
    words.business_terms("ウォームアップ")  # the dictionary is loaded on first use
    people = [
        SimpleNamespace(family_name=f, given_name=g, family_name_kana=fk, given_name_kana=gk)
        for f, g, fk, gk in (
            ("山田", "花子", "ヤマダ", "ハナコ"),
            ("佐藤", "一郎", "サトウ", "イチロウ"),
            ("Smith", "Jane", "", ""),
        )
    ] * 500
    return {
        "company_terms_us": {
            "new": _per_call_us(words.business_terms, names),
            "old": _per_call_us(normalise.name_tokens, names),
        },
        "company_terms_per_row": {
            "new": round(statistics.mean(len(words.business_terms(n)) for n in names), 2),
            "old": round(statistics.mean(len(normalise.name_tokens(n)) for n in names), 2),
        },
        "contact_terms_us": {
            "new": _per_call_us(search.contact_name_tokens, people),
            "old": _per_call_us(search.contact_name_parts, people),
        },
        "contact_terms_per_row": {
            "new": round(statistics.mean(len(search.contact_name_tokens(p)) for p in people), 2),
            "old": round(statistics.mean(len(search.contact_name_parts(p)) for p in people), 2),
        },
    }


def write_costs(workspace, owner, count: int) -> dict:
    """ms per service create, new terms against old (swapped in, alternating blocks)."""
    from django_scopes import scope

    from terabox_crm.contacts import search, services
    from terabox_crm.core.models import Membership
    from terabox_crm.crypto import normalise

    def old_company_tokens(company):
        return set(normalise.name_tokens(company.name or "")) | set(
            normalise.name_tokens(company.name_kana or "")
        )

    new = {"company": search.company_name_tokens, "contact": search.contact_name_tokens}
    old = {"company": old_company_tokens, "contact": search.contact_name_parts}
    timings = {(kind, side): [] for kind in new for side in ("new", "old")}
    rng = random.Random(1)
    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )

        def create(kind: str, index: int) -> None:
            if kind == "company":
                services.company_create(
                    membership=membership,
                    data=services.CompanyData(
                        name=company_name(rng, index), name_kana="サクラブツリュウ"
                    ),
                )
            else:
                services.contact_create(
                    membership=membership,
                    data=services.ContactData(
                        family_name="山田",
                        given_name=f"花子{index}",
                        family_name_kana="ヤマダ",
                        given_name_kana="ハナコ",
                    ),
                )

        for index in range(5):  # warm: keys, chain head, the dictionary
            create("company", index)
            create("contact", index)
        try:
            for start in range(0, count, 10):
                for side, functions in (("new", new), ("old", old)):
                    search.company_name_tokens = functions["company"]
                    search.contact_name_tokens = functions["contact"]
                    for kind in ("company", "contact"):
                        for index in range(start, min(start + 10, count)):
                            began = time.perf_counter()
                            create(kind, index)
                            timings[(kind, side)].append(time.perf_counter() - began)
        finally:
            search.company_name_tokens = new["company"]
            search.contact_name_tokens = new["contact"]
    return {
        f"{kind}_create_ms": {
            side: round(statistics.median(timings[(kind, side)]) * 1000, 3)
            for side in ("new", "old")
        }
        for kind in new
    }


def seed_companies(workspace, owner, count: int, *, batch: int = 2000) -> dict:
    """Bulk-insert ``count`` companies with their name terms, as the service writes them."""
    from django.db import transaction

    from terabox_crm.contacts import search
    from terabox_crm.contacts.models import Company
    from terabox_crm.crypto import search_index
    from terabox_crm.crypto.models import SearchTerm

    rng = random.Random(str(workspace.pk))
    ws = workspace.pk
    began = time.perf_counter()
    for offset in range(0, count, batch):
        companies, terms = [], []
        for index in range(offset, min(offset + batch, count)):
            company = Company(
                id=uuid.uuid4(), workspace=workspace, name=company_name(rng, index), owner=owner
            )
            companies.append(company)
            terms += [
                SearchTerm(
                    workspace_id=ws, domain=search.COMPANY_NAME, term=value, object_id=company.pk
                )
                for value in {
                    search_index.term(ws, search.COMPANY_NAME, token)
                    for token in search.company_name_tokens(company)
                }
            ]
        with transaction.atomic():
            Company.objects.bulk_create(companies)
            SearchTerm.objects.bulk_create(terms)
    elapsed = time.perf_counter() - began
    return {"rows": count, "seconds": round(elapsed, 1), "rows_per_second": round(count / elapsed)}


def search_costs(workspace, owner, repeat: int) -> dict:
    from django_scopes import scope

    from bench.run import summary, timed
    from terabox_crm.contacts import selectors
    from terabox_crm.core.models import Membership

    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        out = {}
        for label, query in (
            ("common_word", "さくら"),  # ~1/16 of the names
            ("two_words", "さくら物流"),  # ~1/256
            ("full_name_unspaced", "山田花子"),
        ):
            found = selectors.global_search(membership, query)
            out[label] = {
                "query": query,
                "companies_shown": len(found.companies),
                "contacts_shown": len(found.contacts),
                **summary(timed(lambda q=query: selectors.global_search(membership, q), repeat)),
            }
    return out


def names_phase(count: int, repeat: int, write_creates: int) -> dict:
    from bench.run import make_workspace

    rng = random.Random(0)
    report = {"terms": term_costs(rng)}
    workspace, owner = make_workspace("Bench names")
    report["write_path"] = write_costs(workspace, owner, write_creates)
    big, big_owner = make_workspace("Bench names at scale")
    report["seed_companies"] = seed_companies(big, big_owner, count)
    report["search"] = search_costs(big, big_owner, repeat)
    return report
