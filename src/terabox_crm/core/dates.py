"""The dates a CRM record may hold: 1900-01-01 to 2200-12-31, on every input.

Outside that window a date is a typo or a probe, never a customer's data:
Python accepts the year 1, and converting year 391 to Asia/Tokyo gives local
mean time (+09:18:59), which then leaks into what the product shows and
emits. The API's fields (``api/serializers.py``) and the screens' form fields
(``DateField``, ``DateTimeField`` below) refuse the same window, so no channel stores what another
would refuse.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)
EARLIEST_AT = dt.datetime.combine(EARLIEST, dt.time.min, tzinfo=dt.UTC)
LATEST_AT = dt.datetime.combine(LATEST, dt.time.max, tzinfo=dt.UTC)

OUT_OF_WINDOW = _("Give a date between %(earliest)s and %(latest)s.")


def in_window(value: dt.date | dt.datetime) -> bool:
    # The year first: converting year 1 with a positive offset to UTC overflows.
    if not EARLIEST.year <= value.year <= LATEST.year:
        return False
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return EARLIEST <= value.date() <= LATEST
        return EARLIEST_AT <= value.astimezone(dt.UTC) <= LATEST_AT
    return EARLIEST <= value <= LATEST


def validate_in_window(value: dt.date | dt.datetime) -> None:
    """A Django validator for form and model fields."""
    if value is not None and not in_window(value):
        raise ValidationError(
            OUT_OF_WINDOW,
            code="out_of_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


# How a date is typed (docs/ui.md "Dates and times"): year first in both
# languages, with / or - or . or 年月日, full-width digits accepted (an IME
# gives them). A time is 24-hour HH:MM. Without a time, the day's start.
DATE_TIME_INPUT_FORMATS = [
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
]


def _typed_date(moment: dt.datetime) -> str:
    """A date as the page's language types it: 2026/04/01 (ja), 2026-04-01 (en)."""
    separator = "/" if (get_language() or "ja").startswith("ja") else "-"
    return separator.join((f"{moment.year:04d}", f"{moment.month:02d}", f"{moment.day:02d}"))


# A date alone, typed the same way (docs/ui.md "Dates and times"): without
# the time. ``DateTextInput`` shows it as the page's language types it.
DATE_INPUT_FORMATS = [form for form in DATE_TIME_INPUT_FORMATS if "%H" not in form]


class DateTextInput(forms.TextInput):
    """A date as one text box that follows the page's language — the date
    box of ``DateTimePairInput`` without its time box, so every date in the
    product is typed and shown alike (docs/ui.md "Dates and times"). Not
    ``type="date"``: the browser lays that out in its own language."""

    def __init__(self, attrs=None):
        defaults = {
            "class": "date-part date-only",
            "inputmode": "numeric",
            "autocomplete": "off",
            "size": "11",
            "maxlength": "20",
            "placeholder": pgettext_lazy("date input", "e.g. 2026-04-01"),
        }
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
        if isinstance(value, dt.date):
            return _typed_date(value)
        if isinstance(value, str) and value:
            parsed = _parse_date(value)
            return _typed_date(parsed) if parsed else value  # what was typed, with its error
        return None

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _parse_date(text: str) -> dt.date | None:
    """A date as people type it (the forms of ``DATE_INPUT_FORMATS``, NFKC
    normalised), or None."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    for form in DATE_INPUT_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


class DateField(forms.DateField):
    """A calendar date within the window every channel accepts, typed in one
    text box (``DateTextInput``) the way ``DateTimeField``'s date box is."""

    widget = DateTextInput
    input_formats = DATE_INPUT_FORMATS

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        return _windowed(super().to_python(value))


class DateTimePairInput(forms.MultiWidget):
    """A date and a time as two text boxes that follow the page's language.

    Not ``datetime-local``: browsers lay that control out in their own
    language (a Japanese page in an English Chromium shows mm/dd/yyyy and
    AM/PM), never the page's (docs/ui.md "Dates and times"). The date keeps
    the field's name (``due_at``), the time adds ``_time``; a whole
    ``2026-04-01T09:30`` typed into the date box is taken as it is.
    """

    template_name = "web/widgets/date_time_pair.html"
    use_fieldset = False  # the field's own label names the date box; the time box has its own

    def __init__(self, attrs=None):
        date = forms.TextInput(
            attrs={
                "class": "date-part",
                "inputmode": "numeric",
                "autocomplete": "off",
                "size": "11",
                "maxlength": "20",
                "placeholder": pgettext_lazy("date input", "e.g. 2026-04-01"),
            }
        )
        time = forms.TextInput(
            attrs={
                "class": "time-part",
                "inputmode": "numeric",
                "autocomplete": "off",
                "size": "5",
                "maxlength": "5",
                "placeholder": pgettext_lazy("time input", "HH:MM"),
                "aria-label": pgettext_lazy("time input", "Time (24-hour)"),
            }
        )
        super().__init__({"": date, "time": time}, attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        id_ = context["widget"]["attrs"].get("id")
        if id_:  # the date box keeps the field's id (its label's for), the time box adds _time
            date, time = context["widget"]["subwidgets"]
            date["attrs"]["id"], time["attrs"]["id"] = id_, f"{id_}_time"
        # A date without a time is the day's start: only the date box is required.
        context["widget"]["subwidgets"][1]["attrs"].pop("required", None)
        return context

    def id_for_label(self, id_):
        return id_

    def decompress(self, value):
        if not value:
            return [None, None]
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:  # well formed, but no such day (2026-02-30)
                parsed = None
            if parsed is None:  # what was typed, shown again with its error
                date, _sep, time = value.replace("T", " ").partition(" ")
                return [date, time]
            value = parsed  # an initial given as 2026-04-01T09:30
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return [_typed_date(value), f"{value.hour:02d}:{value.minute:02d}"]

    def value_from_datadict(self, data, files, name):
        date, time = (
            unicodedata.normalize("NFKC", part or "").strip()
            for part in super().value_from_datadict(data, files, name)
        )
        if not date:
            return "" if not time else f" {time}"  # a time alone: the field asks for a date
        if "T" in date or ":" in date:
            return date
        return f"{date} {time}".strip()

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_time" not in data


class DateTimeField(forms.DateTimeField):
    """A local date and time (a date box and a time box, ``DateTimePairInput``)
    within the window every channel accepts."""

    widget = DateTimePairInput
    input_formats = DATE_TIME_INPUT_FORMATS

    def to_python(self, value):
        return _windowed(super().to_python(value))


def _windowed(value):
    # In ``to_python``, before ``clean`` goes on: converting year 1 to UTC overflows.
    validate_in_window(value)
    return value
