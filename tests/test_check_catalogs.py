"""scripts/check_catalogs, the CI check of the translation catalogs: it fails on
a msgid translated differently in two catalogs (a collision) and on half-width
punctuation in Japanese text, and the project's own catalogs pass both."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_catalogs"


def _load():
    loader = importlib.machinery.SourceFileLoader("check_catalogs", str(SCRIPT))
    spec = importlib.util.spec_from_loader("check_catalogs", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_catalogs"] = module
    loader.exec_module(module)
    return module


check = _load()

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
)


def _catalog(tmp_path: Path, name: str, body: str) -> dict:
    """A catalog compiled by msgfmt from a PO fixture, as Django reads it."""
    po = tmp_path / f"{name}.po"
    po.write_text(HEADER + body, encoding="utf-8")
    mo = po.with_suffix(".mo")
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    return check.catalog_from_mo(mo)


def test_two_product_catalogs_translating_a_msgid_differently_collide(tmp_path):
    deals = _catalog(tmp_path, "deals", 'msgid "Closed"\nmsgstr "クローズ日時"\n')
    support = _catalog(tmp_path, "support", 'msgid "Closed"\nmsgstr "クローズ"\n')
    problems = check.find_collisions("ja", [("deals", True, deals), ("support", True, support)])
    assert len(problems) == 1
    assert "'Closed'" in problems[0]
    assert "'クローズ日時' in deals" in problems[0]
    assert "'クローズ' in support" in problems[0]


def test_a_context_or_one_translation_is_no_collision(tmp_path):
    deals = _catalog(
        tmp_path,
        "deals",
        'msgctxt "date"\nmsgid "Closed"\nmsgstr "クローズ日時"\n\n'
        'msgid "Overdue"\nmsgstr "期限超過"\n',
    )
    support = _catalog(
        tmp_path,
        "support",
        'msgid "Closed"\nmsgstr "クローズ"\n\nmsgid "Overdue"\nmsgstr "期限超過"\n',
    )
    assert check.find_collisions("ja", [("deals", True, deals), ("support", True, support)]) == []


def test_a_library_loaded_first_that_shadows_a_product_translation_collides(tmp_path):
    auth = _catalog(tmp_path, "auth", 'msgid "Email"\nmsgstr "メールアドレス"\n')
    activities = _catalog(tmp_path, "activities", 'msgid "Email"\nmsgstr "メール"\n')
    problems = check.find_collisions(
        "ja", [("django.contrib.auth", False, auth), ("activities", True, activities)]
    )
    assert len(problems) == 1
    assert "loaded first and wins" in problems[0]


def test_the_product_may_shadow_a_library_loaded_after_it(tmp_path):
    ours = _catalog(tmp_path, "core", 'msgid "Owner"\nmsgstr "担当者"\n')
    library = _catalog(tmp_path, "lib", 'msgid "Owner"\nmsgstr "所有者"\n')
    assert check.find_collisions("ja", [("core", True, ours), ("lib", False, library)]) == []


def test_plural_entries_are_compared_form_by_form(tmp_path):
    one = _catalog(
        tmp_path,
        "one",
        'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] "%(n)s件"\n',
    )
    two = _catalog(
        tmp_path,
        "two",
        'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] "%(n)s 個"\n',
    )
    problems = check.find_collisions("ja", [("one", True, one), ("two", True, two)])
    assert len(problems) == 1
    assert "%(n)s item" in problems[0]


@pytest.mark.django_db
def test_the_projects_catalogs_have_no_collision():
    for language in check.LANGUAGES:
        catalogs = check.installed_catalogs(language)
        assert {name for name, own, _ in catalogs if own} >= {"support", "deals", "activities"}
        assert check.find_collisions(language, catalogs) == []


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("パスワードをお忘れですか?", ["?"]),
        ("所要時間(分)", ["(", ")"]),
        ("最終変更: %(when)s", [":"]),
        ("会社名, 部署", [","]),
        ("所要時間（分）", []),
        ("パスワードをお忘れですか？", []),
        # Placeholders, tags, URLs and code samples are not prose.
        ("%(system)s の %(browser)s", []),
        ("日時は RFC 3339 形式です（例：2026-04-01T09:30:00+09:00）。", []),
        ("次のリンクを開きます：https://crm.example/a?b=1", []),
        ("<code>curl -H 'Authorization: Bearer …'</code> で送信します。", []),
        ("「Authorization: Bearer <トークン>」として送信します。", []),
    ],
)
def test_half_width_punctuation_next_to_japanese(text, marks):
    assert sorted(check.half_width_punctuation(text)) == sorted(marks)


def test_the_punctuation_check_names_the_entry_and_honours_the_allow_list(monkeypatch):
    entries = [check.Entry(msgid="Forgot your password?", msgstr={0: "お忘れですか?"})]
    problems: list[str] = []
    check.check_punctuation("accounts", entries, problems)
    assert problems and "'Forgot your password?'" in problems[0]
    monkeypatch.setattr(check, "HALF_WIDTH_ALLOWED", frozenset({"Forgot your password?"}))
    problems = []
    check.check_punctuation("accounts", entries, problems)
    assert problems == []


def test_the_terminology_list_names_the_word_to_use(monkeypatch):
    entries = [
        check.Entry(msgid="First response due", msgstr={0: "初回返信の期限"}),
        check.Entry(msgid="Sign-in sessions", msgstr={0: "ログインセッション"}),
    ]
    problems: list[str] = []
    check.check_terms("support", entries, problems)
    assert len(problems) == 1
    assert "'First response due'" in problems[0] and "'初回応答'" in problems[0]


def test_a_word_the_list_does_not_cover_may_be_allowed_per_entry():
    entry = check.Entry(
        msgid="The API token's owner is no longer a member of its workspace.",
        msgstr={0: "この API トークンの所有者は、すでにワークスペースのメンバーではありません。"},
    )
    problems: list[str] = []
    check.check_terms("api", [entry], problems)
    assert problems == []
