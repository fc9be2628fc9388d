"""Forms people like filling in (docs/ui.md, "Forms" and "Destructive
actions"): the contact, company, deal, task and ticket forms lay their
fields on a two-column grid (姓 | 名, セイ | メイ), offer no ``---------``
choice, show every label without a trailing colon (one rule, in the form
renderer), and give tags a chip input that is a plain multi-select without
script; the members page keeps removals in a ⋯ menu with a confirmation."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation
from django_scopes import scope

from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.tests.support import member_of
from terabox_crm.deals.tests.factories import make_pipeline
from terabox_crm.testing.auth import login
from terabox_crm.web.forms import label_text

FORM_PAGES = [
    ("contacts:create", ["family_name", "given_name", "family_name_kana", "given_name_kana"]),
    ("companies:create", ["name", "name_kana", "postal_code"]),
    ("deals:create", ["amount", "currency", "stage", "owner"]),
    ("activities:task_create", ["due_at", "remind_at"]),
    ("support:create", ["priority", "assignee"]),
]
LABEL = re.compile(r"<label[^>]*>(.*?)</label>", re.S)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
def workspace_with_data(cast):
    make_pipeline(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        contact_services.tag_get_or_create(membership=member_of(cast.acme, cast.member), name="VIP")
    return cast


@pytest.mark.parametrize(("name", "halves"), FORM_PAGES)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_five_forms_follow_the_form_rules(client, workspace_with_data, name, halves, language):
    cast = workspace_with_data
    login(client, cast.member)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="form-grid"' in html
    for field in halves:
        cell = re.search(rf'<div class="form-field ([^"]*)">\s*<label for="id_{field}"', html)
        assert cell and "form-field--half" in cell.group(1), field
    assert "---------" not in html
    labels = [TAG.sub("", label).strip() for label in LABEL.findall(html)]
    assert labels and not [label for label in labels if label.endswith((":", "："))]


def test_names_sit_side_by_side_and_stay_so_on_a_phone(client, cast):
    login(client, cast.member)
    html = client.get(reverse("contacts:create"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert re.search(r'form-field--half form-field--name">\s*<label for="id_family_name">姓', html)
    assert re.search(r'form-field--half form-field--name">\s*<label for="id_given_name">名', html)


@pytest.mark.parametrize(
    ("language", "select", "unassigned"),
    [("ja", "選択してください", "未割り当て"), ("en", "Select…", "Unassigned")],
)
def test_empty_choices_say_what_they_mean(client, cast, language, select, unassigned):
    login(client, cast.member)
    ticket = client.get(reverse("support:create"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<option value="" selected>{unassigned}</option>' in ticket
    task = client.get(
        reverse("activities:task_create"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert f">{select}</option>" in task
    contact = client.get(reverse("contacts:create"), HTTP_ACCEPT_LANGUAGE=language)
    assert f'<option value="">{select}</option>' in contact.content.decode()


def test_a_new_deal_starts_in_the_first_stage_without_an_empty_choice(client, cast):
    make_pipeline(cast.acme, cast.owner)
    login(client, cast.member)
    html = client.get(reverse("deals:create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    stage = html.split('name="stage"', 1)[1].split("</select>", 1)[0]
    assert '<option value=""' not in stage and "Lead" in stage


def test_tags_are_a_multi_select_that_the_chip_script_enhances(client, workspace_with_data):
    login(client, workspace_with_data.member)
    html = client.get(reverse("contacts:create"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert re.search(r'<select name="tags"[^>]*data-chips-for="id_new_tags"[^>]*multiple', html)
    assert 'data-chips-new=""' in html and 'data-chips-remove="削除"' in html
    assert "/static/web/chips.js" in html and "/static/web/forms.css" in html


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Name:", "Name"), ("氏名：", "氏名"), ("移動先 : ", "移動先"), ("Notes", "Notes")],
)
def test_label_text_drops_a_trailing_colon(label, expected):
    assert label_text(label) == expected


@pytest.mark.parametrize("language", ["ja", "en"])
def test_label_tag_has_no_suffix_in_either_language(language):
    class Sample(forms.Form):
        name = forms.CharField(label="Name")

    with translation.override(language):
        html = str(Sample()["name"].label_tag())
    assert html == '<label for="id_name">Name</label>'


def test_the_members_page_keeps_removals_in_a_menu(client, cast):
    login(client, cast.owner)
    html = client.get(reverse("core:members"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "btn-danger" not in rows and 'name="role"' not in rows
    # One ⋯ menu per member (their page first); every member but the owner
    # themself can be removed from it, after a question.
    assert rows.count('class="menu-wrap action-menu"') == 5
    assert rows.count("menu-item-danger") == 4
    menu = rows.split('class="menu-wrap action-menu"', 2)[2].split("</details>", 1)[0]
    assert "の操作" in menu and "data-confirm=" in menu and "menu-item-danger" in menu
    assert "編集" in menu


class _Choices(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, help_text="One."
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )
    name = forms.CharField(label="Name")


def test_a_radio_group_and_a_checkbox_list_are_fieldsets_named_by_their_legend():
    """Django gives a radio group or a checkbox list no id a ``<label for>``
    could point at (``for=""``, which names nothing for a screen reader): the
    field partial makes each a fieldset with a legend, its help and errors
    tied to it; a plain field keeps its label."""
    from django.template.loader import render_to_string

    from terabox_crm.web.tests.html import parse

    form = _Choices(data={"events": ["z"]})
    assert not form.is_valid()
    html = "".join(
        render_to_string("web/partials/_field.html", {"field": form[name]})
        for name in ("kind", "events", "name")
    )
    assert 'for=""' not in html
    page = parse(html)
    fieldsets = page.find_all("fieldset")
    assert [f.find("legend").text().strip() for f in fieldsets] == ["Kind", "Events"]
    assert fieldsets[0].attrs["aria-describedby"].split() == ["id_kind_helptext", "id_kind_errors"]
    assert fieldsets[1].attrs["aria-describedby"].split() == ["id_events_errors"]
    assert [i.attrs["value"] for i in fieldsets[0].find_all("input")] == ["a", "b"]
    assert [label.attrs.get("for") for label in page.find_all("label")][-1] == "id_name"
