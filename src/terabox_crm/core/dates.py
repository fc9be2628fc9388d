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

from django import forms
from django.core.exceptions import ValidationError
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


class DateField(forms.DateField):
    """A calendar date within the window every channel accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return _windowed(super().to_python(value))


class DateTimeField(forms.DateTimeField):
    """A local date and time (``datetime-local``) within the window every channel accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={
                    "type": "datetime-local",
                    "min": f"{EARLIEST.isoformat()}T00:00",
                    "max": f"{LATEST.isoformat()}T23:59",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return _windowed(super().to_python(value))


def _windowed(value):
    # In ``to_python``, before ``clean`` goes on: converting year 1 to UTC overflows.
    validate_in_window(value)
    return value
