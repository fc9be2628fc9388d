"""One date and one date-time format per language (core/formats, docs/ui.md):
every named format renders the same way, and no template or service spells
out its own."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import formats, timezone, translation

APPS = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 4, 1, 0, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Tokyo

EXPECTED = {
    "ja": ("2026年4月1日", "2026年4月1日 09:30", "09:30"),
    "en": ("1 Apr 2026", "1 Apr 2026, 09:30", "09:30"),
}


@pytest.fixture(autouse=True)
def _tokyo():
    with timezone.override("Asia/Tokyo"):
        yield


@pytest.mark.parametrize("language", EXPECTED)
def test_the_long_and_short_formats_are_one_format(language):
    date, date_time, time = EXPECTED[language]
    local = timezone.localtime(MOMENT)
    with translation.override(language):
        for name in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
            assert formats.date_format(local.date(), name) == date
        for name in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
            assert formats.date_format(local, name) == date_time
        assert formats.time_format(local, "TIME_FORMAT") == time


@pytest.mark.parametrize("language", EXPECTED)
def test_templates_render_a_date_time_in_that_format(language):
    date, date_time, _time = EXPECTED[language]
    template = Template(
        '{% load when %}{{ moment }}|{{ moment|date:"SHORT_DATETIME_FORMAT" }}|'
        '{{ moment|date:"DATE_FORMAT" }}|{{ moment|with_zone }}'
    )
    with translation.override(language):
        shown = template.render(Context({"moment": MOMENT})).split("|")
    assert shown == [date_time, date_time, date, f"{date_time} JST"]


# Machine forms (ISO 8601 in <time datetime>, file names) and the audit
# trail's evidence timestamps are the only formats spelled out.
ALLOWED = {"c", "Y-m-d H:i:s", "Y-m-d H:i:s T", "T"}
NAMED = re.compile(r"^(SHORT_)?(DATE|DATETIME|TIME|YEAR_MONTH|MONTH_DAY)_FORMAT$")
DATE_FILTER = re.compile(r"\|(?:date|time):\s*[\"']([^\"']*)[\"']")


def test_no_template_spells_out_its_own_date_format():
    found = []
    for path in APPS.glob("*/templates/**/*"):
        if path.suffix not in {".html", ".txt"}:
            continue
        for fmt in DATE_FILTER.findall(path.read_text(encoding="utf-8")):
            if fmt not in ALLOWED and not NAMED.match(fmt):
                found.append(f"{path.relative_to(APPS)}: {fmt}")
    assert found == []


def test_no_service_formats_a_date_for_people_with_strftime():
    found = []
    for path in APPS.glob("*/**/*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            # The value of a datetime-local input is a machine form.
            if ".strftime(" in line and "%Y-%m-%dT%H:%M" not in line:
                found.append(f"{path.relative_to(APPS)}: {line.strip()}")
    assert found == []
