"""The retention run: targets, batches, holds, crash-resume, the lock budget (P5)."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.activities.models import Activity
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact, ContactEmail, Stage
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.retention import engine, services
from terabox_crm.retention.models import RetentionRun
from terabox_crm.retention.tests.support import (
    age,
    enable_rule,
    make_contact,
    old_lead,
    only_rules,
)
from terabox_crm.support.models import Status, Ticket
from terabox_crm.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


class Crash(Exception):
    pass


def _run(cast, **kwargs):
    return engine.run(workspace_ids=[cast.acme.pk], **kwargs)


def _batch_events():
    return list(AuditEvent.objects.filter(action="retention.batch.applied").order_by("seq"))


def test_an_old_lead_is_anonymised_and_its_deals_keep_their_amounts(cast):
    membership = cast.owner_membership
    lead = make_contact(membership, emails=["hanako@example.jp"], phones=["+81312345678"])
    pipeline = make_pipeline(cast.acme, cast.owner)
    made = [
        make_deal(
            cast.acme, cast.owner, pipeline, contact=lead.pk, amount=amount, name="山田様 更新"
        )
        for amount in ("1200000", "300000")
    ]
    with scopes_disabled():
        deals = Deal.objects.filter(workspace=cast.acme)
        before = (
            deals.aggregate(total=Sum("amount"))["total"],
            sorted(deals.values_list("stage_id", flat=True)),
        )
    age(Contact, [lead.pk], days=800)
    age(Deal, [deal.pk for deal in made], days=800)  # a deal changed since is activity
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    run = _run(cast)

    with scopes_disabled():
        lead = Contact.objects.get(pk=lead.pk)
        assert (lead.family_name, lead.given_name, lead.family_name_kana, lead.notes) == (
            "",
            "",
            "",
            "",
        )
        assert not ContactEmail.objects.filter(contact_id=lead.pk).exists()
        assert not SearchTerm.objects.filter(object_id=lead.pk).exists()
        deals = Deal.objects.filter(workspace=cast.acme)
        after = (
            deals.aggregate(total=Sum("amount"))["total"],
            sorted(deals.values_list("stage_id", flat=True)),
        )
        assert set(deals.values_list("contact_id", flat=True)) == {lead.pk}
        # The names named the person: a dash, and their search terms gone.
        assert {deal.name for deal in deals} == {"—"}
        assert not SearchTerm.objects.filter(object_id__in=[d.pk for d in made]).exists()
    assert after == before
    assert run.state == RetentionRun.State.DONE
    assert run.removed_in(cast.acme.pk) == {"contacts.inactive_leads": 1}


def test_leads_with_recent_activity_customers_and_new_leads_are_kept(cast):
    membership = cast.owner_membership
    expiring = old_lead(membership, family="古川")
    active = old_lead(membership, family="活動")
    customer = old_lead(membership, family="顧客", stage=Stage.CUSTOMER)
    fresh = make_contact(membership, family="新規")
    with scope(workspace=cast.acme):
        activity_services.activity_log(
            membership=membership,
            data=activity_services.ActivityData(
                kind=Activity.Kind.CALL,
                occurred_at=timezone.now() - timedelta(days=3),
                subject="電話",
                links=activity_services.Links(contact=active.pk),
            ),
        )
    age(Contact, [active.pk], days=800)
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    _run(cast)

    with scopes_disabled():
        names = {c.pk: c.family_name for c in Contact.objects.all()}
    assert names[expiring.pk] == ""
    assert names[active.pk] == "活動"
    assert names[customer.pk] == "顧客"
    assert names[fresh.pk] == "新規"


def test_a_contact_under_legal_hold_is_skipped_by_every_target(cast):
    membership = cast.owner_membership
    held = old_lead(membership, family="保全")
    other = old_lead(membership, family="期限")
    tickets = [open_ticket(cast.acme, cast.owner, contact=c.pk) for c in (held, other)]
    with scopes_disabled():
        long_ago = timezone.now() - timedelta(days=4000)
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
            status=Status.CLOSED, resolved_at=long_ago, updated_at=long_ago
        )
    services.hold_set(membership=membership, subject_id=held.pk, reason="訴訟対応 2026-ABC")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    enable_rule(membership, "support.closed_tickets", 3650, "delete")
    only_rules(cast, "contacts.inactive_leads", "support.closed_tickets")

    run = _run(cast)

    with scopes_disabled():
        assert Contact.objects.get(pk=held.pk).family_name == "保全"
        assert Contact.objects.get(pk=other.pk).family_name == ""
        assert list(Ticket.objects.values_list("contact_id", flat=True)) == [held.pk]
    assert run.removed_in(cast.acme.pk) == {
        "contacts.inactive_leads": 1,
        "support.closed_tickets": 1,
    }


def test_batches_are_audited_with_counts_and_an_id_range_only(cast):
    membership = cast.owner_membership
    leads = [old_lead(membership, family=f"姓{i}", emails=[f"p{i}@example.jp"]) for i in range(25)]
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    run = _run(cast, batch_size=10)

    events = _batch_events()
    assert [event.payload["rows"] for event in events] == [10, 10, 5]
    ids = sorted(str(lead.pk) for lead in leads)
    assert events[0].payload["first_id"] == ids[0] and events[-1].payload["last_id"] == ids[-1]
    for event in events:
        assert set(event.payload) == {"target", "action", "days", "rows", "first_id", "last_id"}
        assert "p0@example.jp" not in str(event.payload) and "姓" not in str(event.payload)
    assert run.batches == 3 and run.rows_total == 25


def test_a_crashed_run_resumes_without_doing_anything_twice(cast):
    membership = cast.owner_membership
    for i in range(25):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    def crash(run):
        raise Crash

    with pytest.raises(Crash):
        _run(cast, batch_size=10, after_batch=crash)
    crashed = RetentionRun.objects.get()
    assert crashed.state == RetentionRun.State.RUNNING
    assert crashed.rows_total == 10
    with scopes_disabled():
        assert Contact.objects.filter(family_name="").count() == 10

    resumed = _run(cast, batch_size=10)

    assert resumed.pk == crashed.pk and resumed.resumed_at is not None
    assert resumed.state == RetentionRun.State.DONE
    assert resumed.rows_total == 25 and resumed.batches == 3
    assert sum(event.payload["rows"] for event in _batch_events()) == 25
    with scopes_disabled():
        assert Contact.objects.filter(family_name="").count() == 25


def test_the_batch_shrinks_when_a_transaction_holds_the_lock_too_long(cast):
    membership = cast.owner_membership
    for i in range(40):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    run = _run(cast, batch_size=20, budget_ms=0.001)

    run.refresh_from_db()
    assert run.longest_hold_ms > 0
    assert run.smallest_batch == engine.MIN_BATCH
    assert [event.payload["rows"] for event in _batch_events()][:2] == [20, 10]
    assert run.rows_total == 40


def test_the_lock_budget_is_sqlites_and_postgresql_runs_whole_batches(cast):
    """SQLite's one write lock is what the budget protects; on PostgreSQL a
    batch locks only its own rows, so every batch is ``batch_size`` rows in
    one slice (docs/performance.md: sized to 250 ms there, batches averaged
    200 rows and the run went five times slower than the same work)."""
    membership = cast.owner_membership
    for i in range(25):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    run = _run(cast, batch_size=10)

    run.refresh_from_db()
    assert [event.payload["rows"] for event in _batch_events()] == [10, 10, 5]
    assert run.rows_total == 25 and run.smallest_batch == 10
    if connection.vendor == "sqlite":
        assert engine._budget_ms() == 250
    else:
        assert math.isinf(engine._budget_ms())


def test_without_a_budget_the_sizer_keeps_every_batch_at_the_ceiling():
    sizer = engine.Sizer(budget_ms=math.inf, ceiling=1000)
    assert sizer.size == 1000
    assert sizer.observe(1000, 5_000.0) == 1000  # however long it took


def test_the_batch_never_exceeds_a_thousand_rows(cast):
    run = _run(cast, batch_size=5000)
    assert run.smallest_batch is None or run.smallest_batch <= engine.MAX_BATCH


def test_a_dry_run_counts_and_changes_nothing(cast):
    membership = cast.owner_membership
    for i in range(3):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")

    counts = {
        item.target.code: count for item, count in engine.dry_run(workspace_ids=[cast.acme.pk])
    }

    assert counts["contacts.inactive_leads"] == 3
    with scopes_disabled():
        assert not Contact.objects.filter(family_name="").exists()
    assert not RetentionRun.objects.exists()
    assert not _batch_events()


def test_a_second_run_finds_nothing_left(cast):
    membership = cast.owner_membership
    old_lead(membership)
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    _run(cast)
    second = _run(cast)
    assert second.rows_total == 0
    assert RetentionRun.objects.count() == 2


def test_an_anonymised_lead_is_not_walked_again_unless_changed_since(cast):
    """An anonymised lead stays a lead with its old ``updated_at``; the
    walk leaves it alone from then on (its ``anonymised_at`` is in the
    index), so a daily run does not read every lead anonymised in the past.
    A lead edited after it was anonymised is due again after the period."""
    membership = cast.owner_membership
    lead = old_lead(membership, emails=["hanako@example.jp"])
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    _run(cast)
    item = engine.Planned(cast.acme.pk, engine.registry.get("contacts.inactive_leads"), 730, "")
    with scopes_disabled():
        anonymised = Contact.objects.get(pk=lead.pk)
        walk = engine._Due(item, timezone.now()).rows(fresh=True)
        assert anonymised.anonymised_at is not None
        assert anonymised.updated_at < anonymised.anonymised_at
        assert not walk.filter(pk=lead.pk).exists()

    # Somebody gives the anonymised record a name again, then leaves it.
    with scope(workspace=cast.acme):
        anonymised.family_name = "再登録"
        anonymised.save(update_fields=["family_name", "updated_at"])
    with scopes_disabled():
        assert not engine._Due(item, timezone.now()).rows(fresh=True).filter(pk=lead.pk).exists()
    # Two and a half years on: anonymised 900 days ago, edited 800 days ago.
    age(Contact, [lead.pk], days=900, fields=("anonymised_at",))
    age(Contact, [lead.pk], days=800, fields=("updated_at",))
    with scopes_disabled():
        assert engine._Due(item, timezone.now()).rows(fresh=True).filter(pk=lead.pk).exists()
    again = _run(cast)
    assert again.removed_in(cast.acme.pk) == {"contacts.inactive_leads": 1}
    with scopes_disabled():
        assert Contact.objects.get(pk=lead.pk).family_name == ""


def test_rules_of_one_workspace_never_touch_another(cast):
    acme_lead = old_lead(cast.owner_membership, family="アクメ")
    globex_lead = old_lead(cast.outsider_membership, family="グロベックス")
    enable_rule(cast.owner_membership, "contacts.inactive_leads", 730, "anonymise")

    engine.run()

    with scopes_disabled():
        assert Contact.objects.get(pk=acme_lead.pk).family_name == ""
        assert Contact.objects.get(pk=globex_lead.pk).family_name == "グロベックス"


def test_closed_tickets_are_deleted_after_the_period(cast):
    membership = cast.owner_membership
    old, recent, still_open = (open_ticket(cast.acme, cast.owner) for _ in range(3))
    with scopes_disabled():
        Ticket.objects.filter(pk=old.pk).update(
            status=Status.CLOSED, resolved_at=timezone.now() - timedelta(days=2000)
        )
        Ticket.objects.filter(pk=recent.pk).update(
            status=Status.CLOSED, resolved_at=timezone.now() - timedelta(days=10)
        )
    enable_rule(membership, "support.closed_tickets", 1825, "delete")
    only_rules(cast, "support.closed_tickets")

    _run(cast)

    with scopes_disabled():
        assert set(Ticket.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}


def test_the_daily_job_runs_the_engine(cast):
    from terabox_crm.retention.tasks import apply_retention_daily

    old_lead(cast.owner_membership)
    enable_rule(cast.owner_membership, "contacts.inactive_leads", 730, "anonymise")

    assert apply_retention_daily.call_local() == 1

    run = RetentionRun.objects.get()
    assert run.trigger == "job" and run.state == RetentionRun.State.DONE
    assert AuditEvent.objects.filter(action="retention.batch.applied", channel="job").exists()


def test_the_sizer_shrinks_at_once_after_a_slow_batch_and_grows_back():
    sizer = engine.Sizer(budget_ms=250, ceiling=1000)  # a batch may fill 150 ms
    assert sizer.size == 100
    sizes = [sizer.observe(rows, ms) for rows, ms in ((100, 10), (200, 20), (400, 40), (800, 80))]
    assert sizes == [200, 400, 800, 1000]  # 0.1 ms a row: doubles up to the ceiling
    # One batch stalls (another process's fsync): the next is cut at once.
    after_stall = sizer.observe(1000, 500)
    assert after_stall <= 300
    for rows, ms in ((after_stall, after_stall / 10), (300, 30), (300, 30), (300, 30)):
        last = sizer.observe(rows, ms)
    assert last > after_stall  # and it grows back as cheap batches come in


def test_a_fixed_cost_per_batch_does_not_collapse_the_batches():
    """120 ms of every batch is fixed (the commit, the audit event), 0.1 ms a
    row on top: charging the fixed part to the rows shrank batches to 10 rows
    under load; the fit keeps them as large as the budget allows."""
    sizer = engine.Sizer(budget_ms=250, ceiling=1000)
    sizes = []
    for _ in range(8):
        rows = sizer.size
        sizes.append(sizer.observe(rows, 120 + 0.1 * rows))
    assert min(sizes) >= 100
    # The fixed part leaves 30 ms of the 150 ms share; a quarter of the share
    # (37.5 ms) is kept for rows: 375 rows, 157.5 ms, inside the 250 ms budget.
    assert sizes[-1] == 375 and 120 + 0.1 * sizes[-1] <= 250


class _Clock:
    """A clock that moves only when a slice is applied (no timing asserted)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _slow_slices(monkeypatch, ms_per_slice: float) -> _Clock:
    """Every slice of the leads target takes ``ms_per_slice`` on a fake clock."""
    import dataclasses

    from terabox_crm.retention import registry

    clock = _Clock()
    target = registry.get("contacts.inactive_leads")

    def apply(**kwargs):
        clock.now += ms_per_slice / 1000
        return target.apply(**kwargs)

    monkeypatch.setitem(registry._targets, target.code, dataclasses.replace(target, apply=apply))
    monkeypatch.setattr(engine, "_clock", clock)
    monkeypatch.setattr(engine, "SLICE_MIN", 5)
    monkeypatch.setattr(engine, "SLICES", 4)
    return clock


def test_a_batch_that_would_overrun_the_budget_ends_early_and_the_next_resumes_there(
    cast, monkeypatch
):
    """The lock budget is kept whatever the batch size chosen beforehand:
    slices of 5 rows at 30 ms each, a 100 ms budget (no slice starts past
    80 ms): the first batch of 20 rows stops after two slices, its cursor
    at the tenth row, and the next batches start there; nothing twice."""
    membership = cast.owner_membership
    leads = [old_lead(membership, family=f"姓{i}") for i in range(40)]
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    _slow_slices(monkeypatch, 30)

    def crash(run):
        raise Crash

    with pytest.raises(Crash):
        _run(cast, batch_size=20, budget_ms=100, after_batch=crash)

    ids = sorted(str(lead.pk) for lead in leads)
    (first,) = _batch_events()
    assert first.payload["rows"] == 10  # 20 read, two slices of 5 applied
    assert (first.payload["first_id"], first.payload["last_id"]) == (ids[0], ids[9])
    crashed = RetentionRun.objects.get()
    entry = crashed.progress[f"{cast.acme.pk}/contacts.inactive_leads"]
    assert entry["cursor"] == ids[9] and entry["cut_short"] == 1
    with scopes_disabled():
        done = {
            str(pk) for pk in Contact.objects.filter(family_name="").values_list("pk", flat=True)
        }
    assert done == set(ids[:10])  # the batch's transaction committed just those

    resumed = _run(cast, batch_size=20, budget_ms=100)

    events = _batch_events()
    assert resumed.state == RetentionRun.State.DONE and resumed.rows_total == 40
    assert sum(event.payload["rows"] for event in events) == 40
    assert len(events) == resumed.batches  # one audit event per batch (per transaction)
    assert all(event.payload["rows"] <= 10 for event in events)  # each cut at the deadline
    assert [event.payload["first_id"] for event in events[1:2]] == [ids[10]]
    with scopes_disabled():
        assert Contact.objects.filter(family_name="").count() == 40


def test_the_first_slice_always_runs_so_a_run_always_moves_on(cast, monkeypatch):
    """A slice slower than the whole budget: every batch still applies one."""
    membership = cast.owner_membership
    for i in range(12):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    _slow_slices(monkeypatch, 500)

    run = _run(cast, batch_size=20, budget_ms=100)

    assert run.state == RetentionRun.State.DONE and run.rows_total == 12
    assert all(event.payload["rows"] >= 1 for event in _batch_events())


def test_the_wal_is_checkpointed_between_batches_not_inside_them(cast):
    """SQLite: auto-checkpoint off for the run's connection, back on after."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite WAL setting")
    old_lead(cast.owner_membership)
    enable_rule(cast.owner_membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = cursor.fetchone()[0]
    seen = []

    def look(run):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            seen.append(cursor.fetchone()[0])

    run = _run(cast, after_batch=look)

    assert seen == [0] and run.rows_total == 1
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == before


def test_the_walk_tests_stage_and_age_in_the_index_and_reads_due_rows_only(cast):
    """The walk over a workspace's contacts by id finds old leads not yet
    anonymised in the ``(workspace, id, stage, updated_at, anonymised_at)``
    index: the row of a contact that is not due is never read, and no sort
    of what is left of the workspace is needed (docs/performance.md, "The
    walk through the index").
    SQLite's plan is pinned here; PostgreSQL's, which a table of two rows
    cannot show (it reads such a table whole, or by primary key), is
    measured at 1,000,000 contacts by ``bench/retention.py``."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Contact._meta.db_table)
    assert found["contact_workspace_id"]["columns"] == [
        "workspace_id",
        "id",
        "stage",
        "updated_at",
        "anonymised_at",
    ]
    if connection.vendor != "sqlite":
        return
    old_lead(cast.owner_membership)
    make_contact(cast.owner_membership)
    item = engine.Planned(cast.acme.pk, engine.registry.get("contacts.inactive_leads"), 730, "")
    with scopes_disabled():
        # Every walk after a run's first starts past the cursor.
        walk = engine._Due(item, timezone.now()).rows(fresh=False).order_by("pk")
        walk = walk.filter(pk__gt=uuid.UUID(int=0))
        sql, params = walk.values_list("pk", flat=True)[:1000].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)  # nosec B608 - the ORM's query
        plan = " ".join(str(step[-1]) for step in cursor.fetchall())
    assert "INDEX contact_workspace_id (workspace_id=? AND id>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_where_the_walk_runs_and_what_each_batch_decides(cast):
    """SQLite walks outside the write transactions (it holds the database's
    one write lock) and each batch re-checks its ids; PostgreSQL fills the
    batch table with the next due rows inside the transaction, one
    statement that is also the re-check. Either way a lead placed under a
    legal hold mid-run and a lead changed mid-run are left alone, and the
    batches cover the due rows once, in order."""
    from django.test.utils import CaptureQueriesContext

    membership = cast.owner_membership
    leads = sorted((old_lead(membership, family=f"姓{i}") for i in range(7)), key=lambda c: c.pk)
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    held, touched = leads[4], leads[5]

    def meanwhile(run):
        if run.batches == 1:  # after the first batch: a hold, and an edit
            services.hold_set(membership=membership, subject_id=held.pk, reason="訴訟対応")
            with scopes_disabled():
                Contact.objects.filter(pk=touched.pk).update(updated_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        run = _run(cast, batch_size=3, after_batch=meanwhile)

    fills = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO retention_batch_ids")]
    walks_inside = connection.vendor == "postgresql"
    leads_target = engine.registry.get("contacts.inactive_leads")
    assert engine._walks_inside(leads_target, engine._budget_ms()) is walks_inside
    if walks_inside:
        assert fills and all("SELECT" in sql and "RETURNING" in sql for sql in fills), fills
    else:
        assert all("SELECT" not in sql for sql in fills), fills
    with scopes_disabled():
        blank = set(Contact.objects.filter(family_name="").values_list("pk", flat=True))
    assert blank == {lead.pk for lead in leads} - {held.pk, touched.pk}
    assert run.rows_total == 5
    ranges = [(e.payload["first_id"], e.payload["last_id"]) for e in _batch_events()]
    assert ranges == sorted(ranges) and ranges[0][0] == str(leads[0].pk)


def test_a_batch_looks_up_its_ids_one_by_one(cast):
    """Every statement of a leads batch names the batch table in the form its
    database searches an index with once per id: ``= ANY(ARRAY(SELECT …))``
    on PostgreSQL, where ``IN (SELECT …)`` was planned, for a walk's first
    batches, as a join reading the workspace's index from its start up to
    the batch's last id; ``IN (SELECT …)`` on SQLite, which searches per id
    for it (docs/performance.md, "Each id looked up")."""
    from django.test.utils import CaptureQueriesContext

    membership = cast.owner_membership
    for i in range(3):
        old_lead(membership, family=f"姓{i}")
    enable_rule(membership, "contacts.inactive_leads", 730, "anonymise")
    only_rules(cast, "contacts.inactive_leads")
    with CaptureQueriesContext(connection) as queries:
        run = _run(cast)
    assert run.rows_total == 3
    batch_statements = [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("UPDATE", "DELETE"))
        and "retention_batch_ids" in q["sql"]
        and not q["sql"].startswith("DELETE FROM retention_batch_ids")
    ]
    tables = {sql.split('"')[1] for sql in batch_statements}
    assert tables == {
        "activities_activity",
        "activities_task",
        "contacts_contact",
        "contacts_contactemail",
        "contacts_contactphone",
        "contacts_contact_tags",
        "crypto_searchterm",
        # the other apps' person parts (registry.remove_person_parts)
        "privacy_consentevent",
        "privacy_consentevidencefile",
        "privacy_restriction",
        # (tickets and deals: read, and written only when the batch has some)
    }, tables
    postgres = connection.vendor == "postgresql"
    form = "= ANY(ARRAY(SELECT id FROM retention_batch_ids))" if postgres else "IN (SELECT id"
    assert all(form in sql for sql in batch_statements), batch_statements
    if postgres:
        term_delete = next(s for s in batch_statements if '"crypto_searchterm"' in s)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS retention_batch_ids (id uuid PRIMARY KEY)"
            )
            cursor.execute(f"EXPLAIN {term_delete}")  # nosec B608 - the ORM's statement
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
        assert "Join" not in plan, plan
