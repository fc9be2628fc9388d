"""The API's fields accept what the schema says and emit one date-time form
(``api.serializers``): no coerced JSON types, canonical UUIDs, decimal
strings, RFC 3339 with an offset between 1900 and 2200, UTC out."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.urls import get_resolver
from django.utils import translation
from rest_framework import serializers as drf

from terabox_crm.api import serializers

TOKYO = ZoneInfo("Asia/Tokyo")
# Collected parameters must be the same in every test process (pytest-xdist).
FIXED_UUID = uuid.UUID("6e6608c0-540f-43a2-a073-36946661b8f2")


def _all_serializer_classes():
    get_resolver().url_patterns  # noqa: B018 - imports every view module and its serializers
    found, todo = set(), [drf.BaseSerializer]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("terabox_crm.") and ".tests." not in sub.__module__:
                found.add(sub)
    return sorted(found - {serializers.ModelSerializer}, key=lambda c: c.__qualname__)


def _fields(serializer):
    for name, field in serializer.fields.items():
        yield f"{type(serializer).__name__}.{name}", field
        if isinstance(field, drf.ListSerializer):
            field = field.child
        if isinstance(field, drf.ListField):
            yield f"{type(serializer).__name__}.{name}[]", field.child
            field = field.child
        if isinstance(field, drf.Serializer):
            yield from _fields(field)


def _loose(classes) -> list[str]:
    loose = []
    for cls in classes:
        for label, field in _fields(cls()):
            for drf_class, strict in serializers.STRICT.items():
                if isinstance(field, drf_class) and not isinstance(field, strict):
                    loose.append(f"{cls.__module__}:{label} is {type(field).__name__}")
    return loose


def test_every_api_serializer_uses_the_strict_fields():
    classes = _all_serializer_classes()
    assert len(classes) > 20
    assert _loose(classes) == []


def test_the_walk_finds_a_drf_field_nested_in_a_list():
    class Row(drf.Serializer):
        when = drf.DateTimeField()

    class Planted(serializers.Serializer):
        rows = Row(many=True)

    assert _loose([Planted]) == [f"{__name__}:Row.when is DateTimeField"]


def refused(field, value) -> bool:
    try:
        field.run_validation(value)
    except drf.ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (serializers.CharField(), 0),
        (serializers.CharField(), ["x"]),
        (serializers.BooleanField(), "true"),
        (serializers.BooleanField(), 1),
        (serializers.IntegerField(), "12"),
        (serializers.IntegerField(), 1.5),
        (serializers.IntegerField(), True),
        (serializers.DecimalField(max_digits=8, decimal_places=2), 5000),
        (serializers.DecimalField(max_digits=8, decimal_places=2), "1e3"),
        (serializers.DecimalField(max_digits=8, decimal_places=2), " 5"),
        (serializers.ChoiceField(choices=["1"]), 1),
        (serializers.UUIDField(), FIXED_UUID.hex),
        (serializers.UUIDField(), "{" + str(FIXED_UUID) + "}"),
        (serializers.UUIDField(), FIXED_UUID.int),
    ],
)
def test_a_value_of_another_json_type_or_form_is_refused(field, value):
    assert refused(field, value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (serializers.CharField(), "x", "x"),
        (serializers.BooleanField(), False, False),
        (serializers.IntegerField(), 12, 12),
        (serializers.DecimalField(max_digits=8, decimal_places=2), "5000.50", "5000.50"),
        (serializers.UUIDField(), "0b3c4c5e-8a1f-4a4e-9d3b-2f1e0c9b8a7d", None),
    ],
)
def test_a_value_of_the_declared_type_is_read(field, value, expected):
    result = field.run_validation(value)
    assert str(result) == str(expected if expected is not None else value)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0391-06-27T13:23:09Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T08:59:59+09:00",  # 1899-12-31T23:59:59Z
        "2201-01-01T00:00:00Z",
        "2200-12-31T23:00:00-01:00",  # 2201-01-01T00:00:00Z
        "9999-12-31T23:59:59-23:59",  # overflows when converted
        "0001-01-01T00:00:00+01:00",  # overflows when converted
    ],
)
def test_a_date_time_outside_1900_to_2200_is_refused(value):
    assert refused(serializers.DateTimeField(), value)


@pytest.mark.parametrize("value", ["1900-01-01T00:00:00Z", "2200-12-31T23:59:59.999999Z"])
def test_the_window_edges_are_accepted(value):
    assert not refused(serializers.DateTimeField(), value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-04-01T09:30:00",  # no offset
        "2026-04-01 09:30:00Z",  # no T
        "2026-04-01T09:30Z",  # no seconds
        "2026-04-01",
        "2026-13-01T00:00:00Z",
        "2026-04-01T23:59:60Z",
        "2026-04-01T09:30:00+24:00",
        20260401,
    ],
)
def test_a_date_time_not_in_rfc_3339_with_offset_is_refused(value):
    assert refused(serializers.DateTimeField(), value)


def test_a_date_time_with_an_offset_is_read_as_the_same_instant_in_utc():
    value = serializers.DateTimeField().run_validation("2026-04-01T09:30:00+09:00")
    assert value == dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(0)


def test_lower_case_t_and_z_are_rfc_3339_too():
    value = serializers.DateTimeField().run_validation("2026-04-01t00:30:00z")
    assert value == dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)


def test_a_date_time_is_emitted_in_utc_with_z_whatever_its_zone():
    value = dt.datetime(2026, 4, 1, 9, 30, tzinfo=TOKYO)
    assert serializers.DateTimeField().to_representation(value) == "2026-04-01T00:30:00Z"


@pytest.mark.parametrize("value", ["1899-12-31", "2201-01-01", "0001-01-01"])
def test_a_date_outside_1900_to_2200_is_refused(value):
    assert refused(serializers.DateField(), value)


@pytest.mark.parametrize("value", ["2026-4-1", "2026-04-01T00:00:00Z", "20260401", 2026])
def test_a_date_not_in_yyyy_mm_dd_form_is_refused(value):
    assert refused(serializers.DateField(), value)


def test_the_out_of_range_message_is_translated():
    field = serializers.DateTimeField()
    with translation.override("ja"), pytest.raises(drf.ValidationError) as caught:
        field.run_validation("0001-01-01T00:00:00Z")
    message = str(caught.value.detail[0])
    assert "1900-01-01" in message and "2200-12-31" in message
    assert message.isascii() is False


def test_a_string_over_its_max_length_is_refused_though_trimming_would_shorten_it():
    field = serializers.CharField(max_length=5)
    assert refused(field, "  abcd  ")
    assert refused(field, "abcde\x1e")  # str.strip() counts \x1e as space


def test_a_string_within_its_max_length_is_trimmed_as_before():
    assert serializers.CharField(max_length=8).run_validation("  abcd  ") == "abcd"


def test_a_nested_row_is_whole_even_in_a_partial_body():
    class Row(serializers.NestedIn):
        value = serializers.CharField()
        label = serializers.CharField(required=False, default="")

    class Body(serializers.Serializer):
        rows = Row(many=True, required=False)

    body = Body(data={"rows": [{"label": "work"}]}, partial=True)
    assert not body.is_valid()
    assert "value" in body.errors["rows"][0]
