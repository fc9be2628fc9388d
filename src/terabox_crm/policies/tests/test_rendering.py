"""The published text: §1 from the inventory (P1), the contact block (P11),
the sub-processor register (S10), a safe Markdown subset and the diff."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.utils.html import escape
from django.utils.translation import override

from terabox_crm import inventory
from terabox_crm.env import ConfigurationError
from terabox_crm.policies import config, rendering, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def register_file(settings, tmp_path):
    def write(content):
        path = tmp_path / "subprocessors.json"
        path.write_text(content, encoding="utf-8")
        settings.SUBPROCESSORS_FILE = str(path)
        config._register_entries.cache_clear()
        return path

    yield write
    config._register_entries.cache_clear()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_section_1_lists_every_category_and_field_of_the_inventory(language):
    html = rendering.render(selectors.version_in_force("privacy"), language)
    assert "{{" not in html
    with override(language):
        for item in inventory.personal_fields():
            assert str(inventory.Category(item.category).label) in html
            # each declared field appears by its translated record and field names
            model = apps.get_model(item.model)
            field = model._meta.get_field(item.field)
            label = f"{rendering._label(model._meta.verbose_name)}: {rendering._label(field.verbose_name)}"
            assert escape(label) in html
    assert ("利用目的" in html) == (language == "ja")


def test_a_field_added_to_the_inventory_appears_in_the_policy(monkeypatch):
    monkeypatch.setitem(
        inventory._personal,
        ("accounts.User", "language"),
        inventory.PersonalField(
            "accounts.User", "language", "account", ("support",), "account", False
        ),
    )
    assert "User: Language" in rendering.fill("{{ data_inventory }}", "en")


def test_the_contact_block_comes_from_settings(settings):
    settings.PRIVACY_CONTACT = {
        "organisation_ja": "例示株式会社",
        "organisation_en": "Example KK",
        "desk_en": "Privacy desk",
        "email": "privacy@example.com",
        "phone": "03-0000-0000",
    }
    ja = rendering.render(selectors.version_in_force("privacy"), "ja")
    en = rendering.render(selectors.version_in_force("privacy"), "en")
    assert "例示株式会社" in ja and "Example KK" in en
    assert "Privacy desk" in ja  # no Japanese desk name: the English one, not nothing
    assert '<a href="mailto:privacy@example.com">privacy@example.com</a>' in en
    assert "03-0000-0000" in en and "電話番号" in ja


def test_the_sub_processor_register_comes_from_the_operators_file(register_file):
    register_file(
        json.dumps(
            [
                {
                    "name": "Example Mail KK",
                    "service_ja": "メール配信",
                    "service_en": "Email delivery",
                    "location": "Japan",
                    "url": "https://mail.example.com/privacy",
                }
            ]
        )
    )
    en = rendering.render(selectors.version_in_force("security"), "en")
    ja = rendering.render(selectors.version_in_force("security"), "ja")
    assert "<strong>Example Mail KK</strong> — Email delivery — Japan" in en
    assert 'href="https://mail.example.com/privacy"' in en
    assert "委託先" in ja and "メール配信" in ja


def test_without_a_register_the_mail_relay_is_listed_or_nothing(settings):
    config._register_entries.cache_clear()
    settings.EMAIL_URL, settings.EMAIL_HOST = "smtps://u:p@smtp.example.net:465", "smtp.example.net"
    assert "smtp.example.net" in rendering.fill("{{ subprocessors }}", "en")
    config._register_entries.cache_clear()
    settings.EMAIL_URL = ""
    assert "None: this installation" in rendering.fill("{{ subprocessors }}", "en")
    config._register_entries.cache_clear()


@pytest.mark.parametrize("content", ["not json", '{"name": "x"}', '[{"service_en": "no name"}]'])
def test_a_broken_register_stops_start_up_with_a_clear_message(register_file, content):
    register_file(content)
    with pytest.raises(ConfigurationError, match="CRM_SUBPROCESSORS_FILE"):
        config.check()


def test_markdown_is_escaped_before_it_is_formatted():
    html = rendering.to_html(
        "# Title <script>alert(1)</script>\n\n"
        "A **bold** claim & <img src=x onerror=alert(1)>\n\n"
        "1. <https://example.com/a> and <javascript:alert(1)>\n"
        '- "quoted" <mailto:x@example.com>'
    )
    assert "<script>" not in html and "<img" not in html
    assert "<h1>Title &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<strong>bold</strong> claim &amp; &lt;img" in html
    assert '<a href="https://example.com/a">https://example.com/a</a>' in html
    assert "javascript:" in html and 'href="javascript' not in html
    assert '<ol>\n<li><a href="https://' in html and "<ul>\n<li>&quot;quoted&quot;" in html


def test_the_diff_marks_added_and_removed_lines_with_context():
    old = "\n".join(f"line {n}" for n in range(1, 11))
    new = old.replace("line 5", "line five").replace("line 10", "line 10\nline 11")
    ops = [(line.op, line.text) for line in rendering.diff(old, new)]
    assert ("removed", "line 5") in ops and ("added", "line five") in ops
    assert ("added", "line 11") in ops
    assert ("same", "line 1") not in ops  # beyond the context: left out
    assert ops[0] == ("gap", "")
