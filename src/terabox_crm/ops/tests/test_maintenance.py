"""SQLite's planner statistics are refreshed by the product itself."""

from __future__ import annotations

import pytest
from django.db import connection

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.ops import maintenance, tasks


def test_statistics_are_refreshed_on_sqlite_and_left_to_postgresql(cast):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, emails=["hanako@example.jp"])
    ran = tasks.refresh_planner_statistics.call_local()
    if connection.vendor != "sqlite":
        assert ran is False
        return
    assert ran is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contacts_contactemail'")
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
