"""Japanese word segmentation for search terms (S3).

Japanese writes names without spaces: 「さくら物流」 is two words,
「東京海上日動」 three. Whole-token search splits only on spaces and
punctuation (``normalise.name_tokens``), so a company could only be found by
its whole name. This module splits a run of text into words with SudachiPy and
its core dictionary (docs/decisions/0010-company-name-search.md has the
measurements behind the choice), at two granularities: the longest units
(mode C: 「東京海上日動」) and the shortest (mode A: 「東京」「海上」「日動」),
so a query typed as either, or as a run of short units (「東京海上」), finds
the name.

The dictionary is loaded once per process, on first use (~0.1–0.2 s; the
file is memory-mapped, so worker processes share its pages). A SudachiPy
tokenizer is not thread-safe (a second thread in ``tokenize`` while the first
is in it fails with ``Already borrowed``), and under ASGI concurrent requests
run their views in threads of their own: the dictionary is shared, each
thread has its own tokenizer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from terabox_crm.crypto import normalise

_lock = threading.Lock()
_dictionary = None
_split_a = None
_local = threading.local()

# Longer runs than this are not analysed (names and queries are ≤ 200
# characters; this bounds the cost of a hostile input).
MAX_RUN = 200


def _tokenizer():
    """This thread's tokenizer (mode C) on the process's one dictionary."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        global _dictionary, _split_a
        from sudachipy import Dictionary, SplitMode

        with _lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
                _split_a = SplitMode.A
            tokenizer = _local.tokenizer = _dictionary.tokenizer(mode=SplitMode.C)
    return tokenizer


def words(run: str) -> list[str]:
    """The words of one run of text (no spaces inside), long units first then
    their short parts, each once, in order; ``[]`` for an empty run.

    Symbols and punctuation the analyser tags as such are dropped; the text's
    own characters are kept as typed (callers fold before or after).
    """
    run = run.strip()[:MAX_RUN]
    if not run:
        return []
    tokenizer = _tokenizer()
    found: list[str] = []
    seen: set[str] = set()
    for morpheme in tokenizer.tokenize(run):
        if morpheme.part_of_speech()[0] in ("補助記号", "空白"):
            continue
        units = [morpheme.surface()]
        parts = morpheme.split(_split_a)
        if len(parts) > 1:
            units += [part.surface() for part in parts]
        for unit in units:
            unit = unit.strip()
            if unit and unit not in seen:
                seen.add(unit)
                found.append(unit)
    return found


def short_words(run: str) -> list[str]:
    """The shortest units of ``run`` only (mode A), each once, in order: what
    a query is split into, so that each unit is one the name's terms hold
    whatever the longer units around it were."""
    run = run.strip()[:MAX_RUN]
    if not run:
        return []
    tokenizer = _tokenizer()
    found: list[str] = []
    for morpheme in tokenizer.tokenize(run):
        if morpheme.part_of_speech()[0] in ("補助記号", "空白"):
            continue
        parts = morpheme.split(_split_a)
        for unit in [part.surface() for part in parts] if len(parts) > 1 else [morpheme.surface()]:
            unit = unit.strip()
            if unit and unit not in found:
                found.append(unit)
    return found


# --- Names of businesses (companies, deals): words, legal forms ignored ------------------

# Legal-form words, ignored in business names and queries (「株式会社さくら物流」
# is found by 「さくら物流」, and 「株式会社」 alone finds nothing). Japanese
# forms are removed wherever they stand (they are written attached to the
# name), after NFKC, so 「（株）」 and 「㈱」 are 「(株)」; Latin forms only as
# whole tokens, so "Coinc" keeps its letters.
LEGAL_FORMS_JA = (
    "特定非営利活動法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "医療法人社団",
    "医療法人財団",
    "独立行政法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "相互会社",
    "医療法人",
    "学校法人",
    "宗教法人",
    "npo法人",
    "かぶしきがいしゃ",
    "かぶしきかいしゃ",
    "ゆうげんがいしゃ",
    "ごうどうがいしゃ",
    "(株)",
    "(有)",
    "(同)",
    "(合)",
    "(資)",
    "(名)",
    "(社)",
    "(財)",
    "(医)",
    "(学)",
)
LEGAL_FORMS_LATIN = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "co",
        "corp",
        "corporation",
        "company",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "kk",
        "k.k",
        "gk",
        "g.k",
        "yk",
        "y.k",
        "pte",
        "pty",
    }
)
_LEGAL_JA = re.compile("|".join(re.escape(form) for form in LEGAL_FORMS_JA))
_TRIM = ".'\"&"


@dataclass(frozen=True)
class Part:
    """One space-separated part of a query: found when the name holds the
    part whole (``whole``) or every one of its short words (``units``)."""

    whole: str
    units: tuple[str, ...]


def _runs(text: str) -> list[str]:
    """Runs of ``text`` between spaces and punctuation, NFKC, legal forms
    removed; the text's own runs when it is nothing but legal forms."""
    plain = unicodedata.normalize("NFKC", text or "")
    folded = normalise.fold(plain)
    blanked = _LEGAL_JA.sub(lambda match: " " * len(match.group()), folded)
    # ``fold`` turned katakana into hiragana; the analyser needs the original
    # kana (loanwords are katakana), so legal forms are cut out at the same
    # places of the unfolded text. Folding keeps every character's place
    # except for rare case foldings (ß → ss): those names are analysed folded.
    if len(folded) == len(plain):
        kept = "".join(" " if b == " " else o for o, b in zip(plain, blanked, strict=True))
    else:
        kept = blanked
    runs = [run.strip(_TRIM) for run in normalise.SEPARATORS.split(kept)]
    runs = [run for run in runs if run and normalise.fold(run) not in LEGAL_FORMS_LATIN]
    if runs:
        return runs
    return [run.strip(_TRIM) for run in normalise.SEPARATORS.split(plain) if run.strip(_TRIM)]


def business_terms(text: str) -> list[str]:
    """The search tokens of a business name (company, deal): each run whole
    and its words at both granularities, folded (``normalise.fold``), legal
    forms left out, unique, in order."""
    found: list[str] = []
    for run in _runs(text):
        for unit in (run, *words(run)):
            token = normalise.fold(unit).strip(_TRIM)
            if token and token not in found:
                found.append(token)
    return found


def business_query(text: str) -> list[Part]:
    """What a query for a business name asks: one ``Part`` per run, legal
    forms left out (``[]`` when nothing is left to search)."""
    parts: list[Part] = []
    for run in _runs(text):
        whole = normalise.fold(run).strip(_TRIM)
        units = tuple(
            dict.fromkeys(
                t for t in (normalise.fold(u).strip(_TRIM) for u in short_words(run)) if t
            )
        )
        if whole:
            parts.append(Part(whole, units or (whole,)))
    return parts


def holds(texts, parts: list[Part]) -> bool:
    """The plaintext check after a blind-index lookup: whether the decrypted
    ``texts`` (a name, its reading) hold every part of a query, whole or as
    all of its words. Candidates already matched the terms; this drops
    truncation's false positives (random rows) without analysing each
    candidate's name again (~0.1 ms a name), by comparing folded text."""
    folded = "\n".join(normalise.fold(text or "") for text in texts)
    return bool(parts) and all(
        part.whole in folded or all(unit in folded for unit in part.units) for part in parts
    )
