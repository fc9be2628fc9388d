"""The static security scan (S8): CI runs bandit over ``src/`` and fails on any
finding that is not explained on its line. bandit itself accepts a bare
``# nosec``; this test holds the other half of the rule: every exemption
says why it is safe, beside it or in the ``noqa`` it shares the line with."""

from __future__ import annotations

import re
from pathlib import Path

import terabox_crm

SOURCES = Path(terabox_crm.__file__).resolve().parent
NOSEC = re.compile(r"#\s*nosec\b(?P<ids>[^#]*)(?:#\s*(?P<after>.*))?$")
NOQA_REASON = re.compile(r"#\s*noqa:\s*S\d+[^#]*?\s-\s*\S")


def _exemptions():
    for path in sorted(SOURCES.rglob("*.py")):
        if "tests" in path.relative_to(SOURCES).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if match := NOSEC.search(line):
                yield path.relative_to(SOURCES), number, line, match


def test_every_bandit_exemption_names_the_checks_it_silences():
    bare = [
        f"{path}:{number}"
        for path, number, _line, match in _exemptions()
        if not re.fullmatch(r"\s*(B\d{3}\s*)+", match["ids"])
    ]
    assert bare == [], "a `# nosec` must list the bandit checks it silences (B…)"


def test_every_bandit_exemption_says_why_it_is_safe():
    unexplained = [
        f"{path}:{number}"
        for path, number, line, match in _exemptions()
        if not (match["after"] or "").strip() and not NOQA_REASON.search(line)
    ]
    assert unexplained == [], "give the reason after the ids: `# nosec B608  # why it is safe`"


def test_the_rule_finds_exemptions_to_check():
    # The walk must see the package's own exemptions, or the two tests above prove nothing.
    assert sum(1 for _ in _exemptions()) >= 10
