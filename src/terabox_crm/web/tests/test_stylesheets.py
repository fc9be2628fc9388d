"""Every stylesheet the product serves closes each block it opens: one
missing ``}`` after a ``@media`` block (two branches' rules appended to the
same file) silently put every later rule inside that media query, so they
held on a phone and nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]
SHEETS = sorted(p for p in SRC.glob("*/static/**/*.css") if "vendor" not in p.parts)


def _depths(text: str):
    """The nesting depth after each line, comments and strings left out."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', '""', text)
    depth = 0
    for number, line in enumerate(text.split("\n"), 1):
        depth += line.count("{") - line.count("}")
        yield number, line, depth


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: str(p.relative_to(SRC)))
def test_every_block_is_closed(sheet):
    depth = 0
    for number, line, depth in _depths(sheet.read_text(encoding="utf-8")):
        assert depth >= 0, f"{sheet.name}:{number}: a }} closes nothing"
        # An at-rule starts only at the top level (this product nests none).
        if line.startswith("@media") or line.startswith("@supports"):
            assert depth == 1, f"{sheet.name}:{number}: {line!r} opened inside another block"
    assert depth == 0, f"{sheet.name}: {depth} block(s) never closed"


def test_the_stylesheets_are_found():
    assert any(p.name == "app.css" for p in SHEETS)
