"""Exports stream in constant memory (S4, issue's performance bar): the
writer is fed from an iterator, the rows are read in batches by primary key
with a constant number of queries per batch. Files expire: deleted with
their key, the record kept (P5)."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto import keyring
from terabox_crm.exports import resources, services, writers
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import contact_in, member_of, read_file, request_export
from terabox_crm.retention.registry import targets

pytestmark = pytest.mark.django_db


def test_the_writer_is_fed_from_an_iterator_not_a_list(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    fed = []
    real = writers.write_csv

    def spy(sink, labels, keys, rows):
        fed.append(rows)
        return real(sink, labels, keys, rows)

    monkeypatch.setattr(writers, "write_csv", spy)
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    request_export(manager, django_capture_on_commit_callbacks)
    (rows,) = fed
    assert inspect.isgenerator(rows)  # rows arrive one at a time, never as a list


def _build_queries(cast, capture, count: int) -> int:
    manager = member_of(cast.acme, cast.manager)
    with scopes_disabled():
        have = Export.objects.count()
    for n in range(count):
        contact_in(manager, family=f"流{have}{n}", emails=[f"s{have}-{n}@example.jp"])
    with capture(execute=False):
        item = services.export_request(
            membership=manager, resource="contacts", format="csv", purpose="support"
        )
    services.export_count(item.pk)  # the job's first step
    with CaptureQueriesContext(connection) as queries:
        services.export_build(item.pk)
    with scopes_disabled():
        assert Export.objects.get(pk=item.pk).status == "ready"
    return len(queries)


def test_each_batch_costs_the_same_number_of_queries(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    real = resources.read
    monkeypatch.setattr(
        resources, "read", lambda *args, size=4, **kwargs: real(*args, size=size, **kwargs)
    )
    two = _build_queries(cast, django_capture_on_commit_callbacks, 7)  # 2 batches
    four = _build_queries(cast, django_capture_on_commit_callbacks, 8)  # 15 rows: 4 batches
    six = _build_queries(cast, django_capture_on_commit_callbacks, 8)  # 23 rows: 6 batches
    assert four - two == six - four  # constant per batch, whatever the rows
    assert (four - two) / 2 <= 12  # rows, emails, phones, tags, the gate, the progress


def test_rows_are_read_by_primary_key_without_offset(cast):
    manager = member_of(cast.acme, cast.manager)
    for n in range(5):
        contact_in(manager, family=f"鍵{n}")
    found = resources.RESOURCES["contacts"]
    with scope(workspace=cast.acme):
        selection = found.select(manager, {}, strict=True)
        with CaptureQueriesContext(connection) as queries:
            seen = [
                row["pk"]
                for _read, batch in resources.read(
                    found, selection, found.columns, cast.acme.pk, size=2
                )
                for row in batch
            ]
    assert seen == sorted(seen) and len(set(seen)) == 5
    assert not any("OFFSET" in query["sql"].upper() for query in queries)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan, without statistics")
def test_a_contact_batch_walks_the_workspace_and_id_index_without_statistics(cast):
    """Without planner statistics (a fresh or restored file, before the
    hourly ANALYZE) a batch reads the ``(workspace, id)`` index in order: no
    sort of what is left of the workspace (docs/performance.md)."""
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="鍵")
    found = resources.RESOURCES["contacts"]
    with scope(workspace=cast.acme):
        selection = found.select(manager, {}, strict=True)
        with CaptureQueriesContext(connection) as queries:
            for _batch in resources.read(found, selection, found.columns, cast.acme.pk, size=2):
                pass
    batch = next(query["sql"] for query in queries if 'FROM "contacts_contact"' in query["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")  # the planner reloads what is left
        cursor.execute(f"EXPLAIN QUERY PLAN {batch}")  # nosec B608 - the captured query
        plan = " ".join(str(step[-1]) for step in cursor.fetchall())
    assert "INDEX contact_workspace_id (" in plan and "TEMP B-TREE" not in plan, plan


def test_a_search_checked_after_decryption_costs_one_query_per_batch(
    cast, django_assert_max_num_queries
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="山田", emails=["a@example.jp"])
    contact_in(manager, family="佐藤", emails=["b@example.jp"])
    found = resources.RESOURCES["contacts"]
    with scope(workspace=cast.acme):
        selection = found.select(manager, {"q": "a@example.jp"}, strict=True)
        with django_assert_max_num_queries(12):
            rows = [
                row
                for _read, batch in resources.read(found, selection, found.columns, cast.acme.pk)
                for row in batch
            ]
    assert [row["family_name"] for row in rows] == ["山田"]


def test_an_expired_file_is_deleted_with_its_key_and_the_record_kept(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    assert read_file(item)
    key_id = item.key_id
    assert services.exports_expire() == 0  # not yet
    later = timezone.now() + timedelta(hours=25)
    assert services.exports_expire(later) == 1
    with scopes_disabled():
        item.refresh_from_db()
        expired = AuditEvent.objects.filter(action="exports.export.expired").count()
    assert item.status == "expired" and item.key_id == "" and item.sha256
    assert not writers.path_of(item.pk).exists()
    with pytest.raises(keyring.KeyUnavailable):
        keyring.reset_cache()
        keyring.get_key(key_id)
    assert expired == 1


def test_the_retention_engine_knows_the_export_targets(cast, django_capture_on_commit_callbacks):
    found = {target.code: target for target in targets()}
    assert {"exports.files", "exports.records"} <= set(found)
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks, recipient="相手先")
    files = found["exports.files"]
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(expires_at=timezone.now() - timedelta(days=2))
        pending = files.pending(
            workspace_id=cast.acme.pk, cutoff=timezone.now() - timedelta(days=1), held=set()
        )
        ids = list(pending.values_list("pk", flat=True))
        assert ids == [item.pk]
        assert files.apply(workspace_id=cast.acme.pk, ids=ids, action="shred") == 1
        records = found["exports.records"]
        old = records.pending(
            workspace_id=cast.acme.pk, cutoff=timezone.now() + timedelta(days=1), held=set()
        )
        assert (
            records.apply(
                workspace_id=cast.acme.pk,
                ids=list(old.values_list("pk", flat=True)),
                action="anonymise",
            )
            == 1
        )
        item.refresh_from_db()
    assert item.status == "expired" and item.filters == "" and item.recipient == ""
    assert item.rows == 1 and item.sha256  # the evidence stays


def test_a_tampered_file_does_not_open(cast, django_capture_on_commit_callbacks):
    from terabox_crm.dsr.export import ExportUnreadable

    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    path = writers.path_of(item.pk)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ExportUnreadable):
        read_file(item)


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_the_export_job_reads_with_a_small_page_cache_and_gives_it_back(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    """The job (count and build) reads each page once: it runs with an 8 MiB
    page cache, not the installation's, which a 1M build filled (+77.6 MB
    in a real worker); the connection's own size is back afterwards."""
    seen = {}
    for step in ("export_count", "export_build"):
        real = getattr(services, step)

        def spy(export_id, real=real, step=step):
            seen[step] = _cache_size()
            return real(export_id)

        monkeypatch.setattr(services, step, spy)
    before = _cache_size()
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    request_export(manager, django_capture_on_commit_callbacks)  # runs the job
    small = -services.JOB_SQLITE_CACHE_MB * 1024
    assert seen == {"export_count": small, "export_build": small}
    assert before != small and _cache_size() == before
    with scopes_disabled():
        assert Export.objects.get().status == "ready"
