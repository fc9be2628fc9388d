"""The API's serializer vocabulary: DRF's, with fields that accept exactly what
the OpenAPI schema says they accept, and one form for every date and time.

Every ``<app>/api/serializers.py`` imports ``serializers`` from here instead of
``rest_framework`` (``api/tests/test_serializer_fields.py`` walks them all), so
the rules below hold for every field of every operation:

* **JSON types are not coerced.** DRF turns ``0`` into ``"0"`` for a string
  field, ``"yes"`` into ``True`` and ``"12"`` into ``12``; a schema that says
  *string*, *boolean* or *integer* would then describe a different API than
  the one served. Here a value of the wrong JSON type is a validation error.
* **Identifiers are canonical UUIDs** (``8-4-4-4-12`` hexadecimal), as
  ``format: uuid`` says; Python would also take braces, ``urn:uuid:`` and
  bare hex.
* **Amounts are decimal strings** (``"5000.00"``): no binary float on the way.
* **Dates and times are RFC 3339** with an explicit offset (a time without one
  is ambiguous between the client's zone and the server's), between
  1900-01-01 and 2200-12-31 — a CRM has no business before or after, and
  Python turns the year 391 in Asia/Tokyo into local mean time (+09:18:59).
  Every date-time the API emits is UTC with ``Z``, whatever the server's
  ``TIME_ZONE`` (``renderers.JSONRenderer`` holds the same line for values
  that reach the JSON encoder without a field).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.serializers import (
    JSONField,
    ListField,
    ListSerializer,
    PrimaryKeyRelatedField,
    Serializer,
    SerializerMethodField,
    ValidationError,
)

from terabox_crm.core.dates import EARLIEST, LATEST
from terabox_crm.core.dates import EARLIEST_AT as _EARLIEST_AT
from terabox_crm.core.dates import LATEST_AT as _LATEST_AT

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"([0-9]{4})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


class CharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # maxLength counts what was sent; DRF would count it after trimming.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class DecimalField(serializers.DecimalField):
    def to_internal_value(self, data):
        if not isinstance(data, str) or not _DECIMAL.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class UUIDField(serializers.UUIDField):
    def to_internal_value(self, data):
        if not isinstance(data, str) or not _UUID.fullmatch(data):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """RFC 3339 with an offset, 1900-01-01 to 2200-12-31; emitted in UTC with ``Z``."""

    default_error_messages = {
        "invalid": _(
            "Give a date and time in RFC 3339 form with its offset, "
            "e.g. 2026-04-01T09:30:00+09:00 or 2026-04-01T00:30:00Z."
        ),
        "out_of_range": _("Give a date and time between %(earliest)s and %(latest)s."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.upper()
        match = _DATE_TIME.fullmatch(text)
        if not match:
            self.fail("invalid")
        # The year first: converting year 1 with a positive offset to UTC overflows.
        if not EARLIEST.year <= int(match.group(1)) <= LATEST.year:
            self._out_of_range()
        try:
            value = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
        except (ValueError, OverflowError):
            self.fail("invalid")
        if not _EARLIEST_AT <= value <= _LATEST_AT:
            self._out_of_range()
        return value

    def _out_of_range(self):
        raise ValidationError(
            self.error_messages["out_of_range"]
            % {"earliest": f"{EARLIEST.isoformat()}T00:00:00Z", "latest": f"{LATEST}T23:59:59Z"},
            code="out_of_range",
        )

    def to_representation(self, value):
        if not value:
            return None
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC)
        return super().to_representation(value)


class DateField(serializers.DateField):
    """A calendar date ``YYYY-MM-DD`` between 1900-01-01 and 2200-12-31."""

    default_error_messages = {
        "invalid": _("Give a date in the form YYYY-MM-DD, e.g. 2026-04-01."),
        "out_of_range": _("Give a date between %(earliest)s and %(latest)s."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        match = _DATE.fullmatch(data)
        if not match:
            self.fail("invalid")
        if not EARLIEST.year <= int(match.group(1)) <= LATEST.year:
            self._out_of_range()
        try:
            value = dt.date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        if not EARLIEST <= value <= LATEST:
            self._out_of_range()
        return value

    def _out_of_range(self):
        raise ValidationError(
            self.error_messages["out_of_range"]
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            code="out_of_range",
        )


class NestedIn(Serializer):
    """An object nested in a request body that is always given whole.

    DRF makes every level of a PATCH body partial, so a row missing a field the
    schema requires would slip through to the service; here it is refused.
    """

    def validate(self, attrs):
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and not field.read_only and field.source not in attrs
        }
        if missing:
            raise ValidationError(missing)
        return attrs


# The strict fields by the DRF field each replaces: what ModelSerializer maps
# model fields to, and what the walker test accepts.
STRICT = {
    serializers.CharField: CharField,
    serializers.BooleanField: BooleanField,
    serializers.IntegerField: IntegerField,
    serializers.DecimalField: DecimalField,
    serializers.ChoiceField: ChoiceField,
    serializers.UUIDField: UUIDField,
    serializers.DateTimeField: DateTimeField,
    serializers.DateField: DateField,
}


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with model fields mapped to the strict fields above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BigAutoField: IntegerField,
        models.BigIntegerField: IntegerField,
        models.BooleanField: BooleanField,
        models.CharField: CharField,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
        models.DecimalField: DecimalField,
        models.IntegerField: IntegerField,
        models.PositiveIntegerField: IntegerField,
        models.PositiveSmallIntegerField: IntegerField,
        models.SmallIntegerField: IntegerField,
        models.TextField: CharField,
        models.UUIDField: UUIDField,
    }
    serializer_choice_field = ChoiceField


__all__ = [
    "EARLIEST",
    "LATEST",
    "STRICT",
    "BooleanField",
    "CharField",
    "ChoiceField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "IntegerField",
    "JSONField",
    "ListField",
    "ListSerializer",
    "ModelSerializer",
    "NestedIn",
    "PrimaryKeyRelatedField",
    "Serializer",
    "SerializerMethodField",
    "UUIDField",
    "ValidationError",
]
