"""Planner statistics are refreshed by the product itself where nothing else
does: SQLite always, PostgreSQL when its autovacuum is off."""

from __future__ import annotations

import pytest
from django.db import connection

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.ops import maintenance, tasks


def test_statistics_are_refreshed_on_sqlite_and_left_to_postgresqls_autovacuum(cast):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, emails=["hanako@example.jp"])
    ran = tasks.refresh_planner_statistics.call_local()
    if connection.vendor != "sqlite":
        assert ran is maintenance.autovacuum_is_off()
        return
    assert ran is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contacts_contactemail'")
        assert cursor.fetchone()[0] >= 1


def test_postgresql_without_autovacuum_gets_its_statistics_and_a_warning(cast, caplog):
    """This machine's PostgreSQL runs with autovacuum off: there the job
    gathers what autovacuum would have (pg_class.reltuples stops being -1)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's autovacuum")
    if not maintenance.autovacuum_is_off():
        pytest.skip("this server's autovacuum is on: it gathers the statistics itself")
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, emails=["hanako@example.jp"])
    with caplog.at_level("WARNING", logger="terabox_crm.maintenance"):
        assert maintenance.refresh_statistics() is True
    assert "autovacuum is off" in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'contacts_contactemail'")
        assert cursor.fetchone()[0] >= 1


@pytest.mark.django_db
def test_the_lookup_of_a_contacts_emails_uses_its_own_index():
    if connection.vendor != "sqlite":
        pytest.skip("the plan asked for is SQLite's")
    maintenance.refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM contacts_contactemail "
            "WHERE workspace_id = 'w' AND contact_id IN ('a', 'b') ORDER BY is_primary DESC, id"
        )
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "contactemail_of_contact" in plan


@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_just_in_time():
    """JIT compiling cost ~230 ms per call of the retention walk at 1M
    contacts for a query that runs in tens of milliseconds."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's jit setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
