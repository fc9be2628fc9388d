"""Each format round trips, and spreadsheet cells never run as formulas (S4)."""

from __future__ import annotations

import datetime
import io

import pytest
from django_scopes import scopes_disabled

from terabox_crm.exports import writers
from terabox_crm.exports.tests.helpers import (
    contact_in,
    file_rows,
    member_of,
    read_file,
    request_export,
)

pytestmark = pytest.mark.django_db

DANGEROUS = ("=1+1", "+81 3 1234", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_that_starts_a_formula_is_neutralised(value):
    assert writers.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["山田", "a=b", "", "1-2", None])
def test_other_cells_are_left_as_they_are(value):
    assert writers.neutralise(value) == ("" if value is None else value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_each_format_round_trips_names_in_japanese(cast, django_capture_on_commit_callbacks, fmt):
    manager = member_of(cast.acme, cast.manager)
    contact = contact_in(manager, family="山田", given="花子", emails=["hanako@example.jp"])
    item = request_export(
        manager,
        django_capture_on_commit_callbacks,
        format=fmt,
        fields=["id", "family_name", "given_name", "email"],
    )
    assert item.status == "ready" and item.rows == 1
    rows = file_rows(fmt, read_file(item))
    if fmt == "json":
        assert rows == [
            {
                "id": str(contact.pk),
                "family_name": "山田",
                "given_name": "花子",
                "email": "hanako@example.jp",
            }
        ]
    else:
        assert rows == [
            ["ID", "姓", "名", "メールアドレス"],  # the requester's language (ja)
            [str(contact.pk), "山田", "花子", "hanako@example.jp"],
        ]


def test_the_header_is_in_the_requesters_language(cast, django_capture_on_commit_callbacks):
    cast.manager.language = "en"
    cast.manager.save(update_fields=["language"])
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(
        manager, django_capture_on_commit_callbacks, fields=["family_name", "given_name", "email"]
    )
    assert file_rows("csv", read_file(item))[0] == ["Family name", "Given name", "Email"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("value", DANGEROUS[:4])
def test_a_formula_in_a_record_is_exported_as_text(
    cast, django_capture_on_commit_callbacks, fmt, value
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family=value, given="花子")
    item = request_export(
        manager, django_capture_on_commit_callbacks, format=fmt, fields=["family_name"]
    )
    assert file_rows(fmt, read_file(item))[1] == ["'" + value]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("value", DANGEROUS)
def test_the_writers_neutralise_every_formula_start(fmt, value, tmp_path):
    """Tab and CR cannot reach a record (the services strip them from the
    ends of a value), so the writers are fed them directly."""
    sink = io.BytesIO()
    rows = iter([[value, "plain"]])
    if fmt == "csv":
        writers.write_csv(sink, [value, "h"], ["a", "b"], rows)
    else:
        writers.write_xlsx(sink, [value, "h"], ["a", "b"], rows, tmpdir=tmp_path)
    header, row = file_rows(fmt, sink.getvalue())
    assert row == ["'" + value, "plain"]
    assert header == ["'" + value, "h"]


def test_json_keeps_values_as_they_are(cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="=1+1", given="花子")
    item = request_export(
        manager, django_capture_on_commit_callbacks, format="json", fields=["family_name"]
    )
    assert file_rows("json", read_file(item)) == [{"family_name": "=1+1"}]


def test_the_audit_event_names_rows_fields_purpose_and_the_files_sha256(
    cast, django_capture_on_commit_callbacks
):
    import hashlib

    from django_scopes import scopes_disabled

    from terabox_crm.audit.models import AuditEvent

    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks, fields=["family_name"])
    data = read_file(item)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    with scopes_disabled():
        event = AuditEvent.objects.get(action="exports.export.completed", object_id=str(item.pk))
    assert event.payload["rows"] == 1
    assert event.payload["fields"] == ["family_name"]
    assert event.payload["purpose"] == "support"
    assert event.payload["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_moments_are_written_as_aware_iso_8601(cast, django_capture_on_commit_callbacks, fmt):
    """A moment reads as Django's aware value would write it (UTC offset,
    microseconds when there are any), also where SQLite's naive value is
    written without being made aware first (``resources._values``)."""
    manager = member_of(cast.acme, cast.manager)
    contact = contact_in(manager, family="山田", given="花子")
    with scopes_disabled():
        type(contact).objects.filter(pk=contact.pk).update(
            created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
            updated_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        )
        contact.refresh_from_db()
    item = request_export(
        manager,
        django_capture_on_commit_callbacks,
        format=fmt,
        fields=["id", "created_at", "updated_at"],
    )
    rows = file_rows(fmt, read_file(item))
    expected = ["2026-01-02T03:04:05.000006+00:00", "2026-01-02T03:04:05+00:00"]
    assert expected == [contact.created_at.isoformat(), contact.updated_at.isoformat()]
    if fmt == "json":
        assert [rows[0]["created_at"], rows[0]["updated_at"]] == expected
    else:
        assert rows[1][1:] == expected
