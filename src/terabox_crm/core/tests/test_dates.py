"""The date window of every input (``core.dates``): the screens refuse what
the API refuses, in the user's language, and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope

from terabox_crm.contacts.tests.support import member_of
from terabox_crm.core.dates import DateField, DateTimeField, in_window
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_pipeline, stage_named
from terabox_crm.testing.auth import login


@pytest.mark.parametrize(
    "value",
    [dt.date(1900, 1, 1), dt.date(2200, 12, 31), dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC)],
)
def test_the_window_holds_its_edges_and_today(value):
    assert in_window(value)


@pytest.mark.parametrize(
    "value",
    [
        dt.date(1, 1, 1),
        dt.date(1899, 12, 31),
        dt.date(2201, 1, 1),
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-9))),
    ],
)
def test_the_window_refuses_what_no_customer_record_holds(value):
    assert not in_window(value)


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "0391-06-27T13:23", "9999-12-31T23:59"])
def test_a_form_date_time_outside_the_window_is_refused_in_japanese(text):
    with translation.override("ja"):
        with pytest.raises(ValidationError) as refused:
            DateTimeField().clean(text)
        messages = refused.value.messages
    assert messages == ["1900-01-01 から 2200-12-31 までの日付を入力してください。"]


def test_a_form_date_outside_the_window_is_refused_in_english():
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            DateField().clean("0001-01-01")
        messages = refused.value.messages
    assert messages == ["Give a date between 1900-01-01 and 2200-12-31."]


def test_a_date_and_time_are_two_text_boxes_that_follow_the_page_language():
    """Not ``datetime-local``: the browser lays that out in its own language
    (docs/ui.md "Dates and times"). The date box keeps the field's name and
    id (its label's ``for``); the time box adds ``_time``."""
    moment = dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 in Tokyo
    for language, shown in (("ja", "2026/04/01"), ("en", "2026-04-01")):
        with translation.override(language):
            html = DateTimeField().widget.render("due_at", moment, {"id": "id_due_at"})
        assert "datetime-local" not in html and 'type="date"' not in html
        assert f'name="due_at" value="{shown}"' in html
        assert 'id="id_due_at"' in html and 'id="id_due_at_time"' in html
        assert 'name="due_at_time" value="09:30"' in html
    with translation.override("ja"):
        html = DateTimeField().widget.render("due_at", None)
    assert "例：2026/04/01" in html and "時刻（24時間制）" in html


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("2026/04/01", "09:30", (2026, 4, 1, 9, 30)),
        ("2026/4/1", "9:05", (2026, 4, 1, 9, 5)),
        ("2026-04-01", "", (2026, 4, 1, 0, 0)),
        ("２０２６／０４／０１", "０９：３０", (2026, 4, 1, 9, 30)),  # typed with an IME
        ("2026年4月1日", "09:30", (2026, 4, 1, 9, 30)),
        ("2026-04-01T09:30", "", (2026, 4, 1, 9, 30)),  # a whole value in the date box
    ],
)
def test_a_date_and_time_are_read_as_people_type_them(date, time, expected):
    field = DateTimeField()
    value = field.widget.value_from_datadict({"due_at": date, "due_at_time": time}, {}, "due_at")
    cleaned = field.clean(value)
    assert cleaned.astimezone(dt.timezone(dt.timedelta(hours=9))).timetuple()[:5] == expected


def test_a_time_without_a_date_is_refused():
    field = DateTimeField(required=False)
    value = field.widget.value_from_datadict({"due_at": "", "due_at_time": "09:30"}, {}, "due_at")
    with pytest.raises(ValidationError):
        field.clean(value)
    empty = field.widget.value_from_datadict({"due_at": "", "due_at_time": ""}, {}, "due_at")
    assert field.clean(empty) is None


def test_a_deal_closing_in_the_year_one_is_refused_and_nothing_is_saved(client, cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    login(client, cast.member)
    response = client.post(
        reverse("deals:create"),
        {
            "name": "Rollout",
            "stage": str(stage_named(pipeline, "Lead").pk),
            "currency": "JPY",
            "owner": str(member_of(cast.acme, cast.member).pk),
            "expected_close_date": "0001-01-01",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Give a date between 1900-01-01 and 2200-12-31." in response.content.decode()
    with scope(workspace=cast.acme):
        assert not Deal.objects.exists()


def test_the_audit_filter_refuses_the_year_one_instead_of_failing(client, cast):
    login(client, cast.owner)
    response = client.get(
        reverse("audit:trail"), {"date_from": "0001-01-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Give a date between 1900-01-01 and 2200-12-31." in response.content.decode()


def test_a_plain_date_is_the_same_text_box_as_a_date_times_date():
    """``DateField`` is the date box of ``DateTimeField`` alone (docs/ui.md
    "Dates and times"): not the browser's ``type="date"``, shown as the page's
    language types it, with the same placeholder."""
    day = dt.date(2026, 4, 1)
    for language, shown, hint in (
        ("ja", "2026/04/01", "例：2026/04/01"),
        ("en", "2026-04-01", "e.g. 2026-04-01"),
    ):
        with translation.override(language):
            html = DateField().widget.render("close", day, {"id": "id_close"})
            pair = DateTimeField().widget.render("due", None, {"id": "id_due"})
        assert 'type="date"' not in html and 'type="text"' in html
        assert f'name="close" value="{shown}"' in html and 'id="id_close"' in html
        assert f'placeholder="{hint}"' in html and f'placeholder="{hint}"' in pair
        assert 'class="date-part date-only"' in html and 'inputmode="numeric"' in html


@pytest.mark.parametrize(
    "typed",
    ["2026/04/01", "2026/4/1", "2026-04-01", "2026.4.1", "2026年4月1日", "２０２６／４／１"],
)
def test_a_plain_date_is_read_as_people_type_it(typed):
    field = DateField()
    assert field.clean(field.widget.value_from_datadict({"d": typed}, {}, "d")) == dt.date(
        2026, 4, 1
    )


def test_a_plain_date_that_is_no_day_is_refused_and_shown_again_as_typed():
    field = DateField()
    with pytest.raises(ValidationError):
        field.clean("2026/02/30")
    assert 'value="2026/02/30"' in field.widget.render("d", "2026/02/30")


def test_every_form_date_uses_the_one_date_field():
    """No form builds its own date input: the deal's close date, a contact's
    consent date and the import's consent date are the one text box."""
    from terabox_crm.contacts.forms import ContactForm
    from terabox_crm.core.dates import DateTextInput
    from terabox_crm.deals.forms import DealForm
    from terabox_crm.imports.forms import MappingForm

    assert isinstance(DealForm.base_fields["expected_close_date"], DateField)
    assert isinstance(ContactForm.base_fields["receipt_consent_at"], DateField)
    assert isinstance(MappingForm.base_fields["consent_at"].widget, DateTextInput)
