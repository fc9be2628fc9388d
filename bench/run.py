#!/usr/bin/env python3
"""Terabox CRM benchmark (SPEC §5): contacts at scale, encrypted and audited.

    .venv/bin/python bench/run.py --contacts 100000            # SQLite in a temp data dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/run.py --contacts 1000000       # PostgreSQL (empty database)
    .venv/bin/python bench/run.py --smoke                       # 2,000 rows, seconds (CI)
    .venv/bin/python bench/run.py --phase write                 # the write path alone
    .venv/bin/python bench/run.py --phase access-export --smoke # one person's access export (P9)
    .venv/bin/python bench/run.py --phase retention --contacts 1000000  # expiring 1 in 10 (P5)
    .venv/bin/python bench/run.py --phase names --contacts 100000       # company words (S3)
    .venv/bin/python bench/run.py --phase export --smoke        # a CSV export of every contact (S4)
    .venv/bin/python bench/run.py --phase backup --contacts 1000000     # backup/restore (S11)
    .venv/bin/python bench/run.py --phase detection                     # detection per request (S7)
    .venv/bin/python bench/run.py --phase webhooks                      # a bulk change's fan-out

Seeds one workspace (``--workspaces`` more of the same size beside it, to
show scoping holds), then measures through the real stack (middleware,
session auth, policy, scoping, decryption) with Django's test client, which
skips only the network:

- API list, first page and page 1,000 through the cursor (p50/p99);
- exact email search through the API and at the selector level, beside the
  same lookup on an unencrypted indexed column (the reference);
- a contact page with 100 activities; the deal board with 500 deals;
- the bare DRF floor: the same rows with no auth, scoping or decryption;
- inserts per second through the service layer with and without field
  encryption, and rows per second of the bulk seeder;
- the single-record write path: SQL statements and transactions per contact
  created through the service, and creates per second beside the floor of a
  bare Django ``save()`` of the same encrypted rows (``write_path``);
- the purpose gate (``--phase gate``, P3): one check of a consent purpose for
  ``--contacts`` contacts at once (half consented, a tenth of those withdrawn
  since, 1 % restricted), beside a plain indexed query over the same ids.
- erasure (P8, ``--phase erasure``): erasing one person with 1,000
  activities, a deal and a ticket from the seeded workspace, through
  ``erasure.services.subject_erase`` (``erasure_phase``).

Results: a JSON file (``--out``) and a table on stdout, for docs/performance.md.
Timings are never asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILY = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
          ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
          ("Smith", ""), ("Johnson", ""), ("Garcia", ""), ("Brown", ""), ("Miller", "")]  # fmt: skip
GIVEN = [("花子", "ハナコ"), ("太郎", "タロウ"), ("翔太", "ショウタ"), ("美咲", "ミサキ"), ("大輔", "ダイスケ"),
         ("さくら", "サクラ"), ("健二", "ケンジ"), ("Emily", ""), ("Oliver", ""), ("Sofia", "")]  # fmt: skip


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 3),
        "n": len(samples),
    }


def timed(call, repeat: int, warm: int = 10) -> list[float]:
    """``repeat`` timings of ``call`` after ``warm`` untimed calls (the
    first call of a process is reported on its own where it matters)."""
    for _ in range(warm):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


class Progress:
    """A progress line with an ETA on stderr (updated in place on a terminal)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.start, self.last = label, total, time.monotonic(), 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.last < 1:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate else 0
        line = f"{self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s, ETA {eta:,.0f} s)"
        end = "\r" if sys.stderr.isatty() and done < self.total else "\n"
        print(line, end=end, file=sys.stderr, flush=True)


def setup(data_dir: str) -> None:
    os.environ.setdefault("CRM_DATA_DIR", data_dir)
    os.environ.setdefault("CRM_JOBS_IMMEDIATE", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.bare_urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def make_workspace(name: str):
    from django_scopes import scopes_disabled

    from terabox_crm.accounts.models import User
    from terabox_crm.core.models import Membership, Workspace
    from terabox_crm.core.roles import Role

    with scopes_disabled():
        workspace = Workspace.objects.create(name=name, slug=f"bench-{uuid.uuid4().hex[:8]}")
        owner = User.objects.create_user(
            f"owner-{workspace.slug}@bench.example", "bench passphrase long"
        )
        Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace, owner


def plain_reference_table() -> None:
    """The unencrypted reference: the same addresses in an indexed column,
    keyed like the product's rows (uuid on PostgreSQL, hex on SQLite)."""
    from django.db import connection

    id_type = "uuid" if connection.vendor == "postgresql" else "char(32)"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_plain_email "
            f"(workspace_id varchar(36), email varchar(254), contact_id {id_type})"
        )
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_plain_email_lookup ON bench_plain_email (workspace_id, email)"
        )


def _db_id(value: uuid.UUID) -> str:
    from django.db import connection

    return str(value) if connection.vendor == "postgresql" else value.hex


def seed_contacts(workspace, owner, count: int, *, batch: int = 2000) -> dict:
    """Bulk-insert ``count`` contacts with an email, a phone and their blind-index terms.

    The same stored form as the services write (encrypted columns, terms),
    without one audit event per row: bulk imports audit per batch.
    """
    from django.db import connection, transaction

    from terabox_crm.contacts import search
    from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
    from terabox_crm.crypto import search_index
    from terabox_crm.crypto.models import SearchTerm

    rng = random.Random(str(workspace.pk))
    progress = Progress(f"seed {workspace.name}", count)
    start = time.perf_counter()
    ws = workspace.pk
    for offset in range(0, count, batch):
        contacts, emails, phones, terms, plain = [], [], [], [], []
        for index in range(offset, min(offset + batch, count)):
            family, family_kana = rng.choice(FAMILY)
            given, given_kana = rng.choice(GIVEN)
            contact = Contact(
                id=uuid.uuid4(),
                workspace=workspace,
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                owner=owner,
            )
            email = f"user{index}@{workspace.slug}.example.jp"
            phone = f"+8190{index:08d}"
            contacts.append(contact)
            emails.append(
                ContactEmail(workspace=workspace, contact=contact, value=email, is_primary=True)
            )
            phones.append(
                ContactPhone(workspace=workspace, contact=contact, value=phone, is_primary=True)
            )
            terms.append(
                SearchTerm(
                    workspace_id=ws,
                    domain=search.CONTACT_EMAIL,
                    term=search_index.term(ws, search.CONTACT_EMAIL, email),
                    object_id=contact.pk,
                )
            )
            terms.append(
                SearchTerm(
                    workspace_id=ws,
                    domain=search.CONTACT_PHONE,
                    term=search_index.term(ws, search.CONTACT_PHONE, phone),
                    object_id=contact.pk,
                )
            )
            # The terms the service writes (parts and joined full names).
            for token in search.contact_name_tokens(contact):
                terms.append(
                    SearchTerm(
                        workspace_id=ws,
                        domain=search.CONTACT_NAME,
                        term=search_index.term(ws, search.CONTACT_NAME, token),
                        object_id=contact.pk,
                    )
                )
            plain.append((str(ws), email, _db_id(contact.pk)))
        with transaction.atomic():
            Contact.objects.bulk_create(contacts)
            ContactEmail.objects.bulk_create(emails)
            ContactPhone.objects.bulk_create(phones)
            SearchTerm.objects.bulk_create(terms)
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO bench_plain_email VALUES (%s, %s, %s)", plain)
        progress.update(min(offset + batch, count))
    elapsed = time.perf_counter() - start
    return {"rows": count, "seconds": round(elapsed, 1), "rows_per_second": round(count / elapsed)}


@contextmanager
def null_cipher():
    """Field encryption replaced by identity, to price encryption alone."""
    from terabox_crm.crypto import fields

    original_encrypt, original_decrypt = fields.encrypt, fields.decrypt
    fields.encrypt = lambda plaintext, **_: plaintext
    fields.decrypt = lambda token, **_: token
    try:
        yield
    finally:
        fields.encrypt, fields.decrypt = original_encrypt, original_decrypt


def service_inserts(workspace, owner, count: int) -> float:
    from django_scopes import scope

    from terabox_crm.contacts import services
    from terabox_crm.core.models import Membership

    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace").get(
            workspace=workspace, user=owner
        )
        start = time.perf_counter()
        for index in range(count):
            services.contact_create(
                membership=membership,
                data=services.ContactData(
                    family_name="計測",
                    given_name=f"太郎{index}",
                    emails=[
                        services.EmailIn(
                            f"svc{index}-{uuid.uuid4().hex[:6]}@bench.example.jp", is_primary=True
                        )
                    ],
                ),
            )
        return count / (time.perf_counter() - start)


def api_creates(client, count: int) -> dict:
    """``POST /api/v1/contacts/`` one contact at a time: validation, field
    encryption, blind indexes, the audit event and the webhook fan-out."""
    samples = []
    for index in range(count):
        body = {
            "family_name": "計測",
            "given_name": f"花子{index}",
            "family_name_kana": "ケイソク",
            "emails": [{"value": f"api{index}-{uuid.uuid4().hex[:6]}@bench.example.jp"}],
            "phones": [{"value": f"090-{index % 10000:04d}-{index % 7919:04d}"}],
        }
        start = time.perf_counter()
        response = client.post("/api/v1/contacts/", body, content_type="application/json")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content[:300]
    return summary(samples)


# --- The single-record write path ------------------------------------------------------

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def _write_values(index: int, tag: str) -> dict:
    """One contact's values: four name fields (two tokens each side), one
    email, one phone: the row both the service and the floor write."""
    return {
        "family_name": "計測",
        "given_name": f"太郎{index}",
        "family_name_kana": "ケイソク",
        "given_name_kana": "タロウ",
        "email": f"{tag}{index}-{uuid.uuid4().hex[:6]}@bench.example.jp",
        "phone": f"+8190{index % 10**8:08d}",
    }


def _service_create(membership, values: dict):
    from terabox_crm.contacts import services

    return services.contact_create(
        membership=membership,
        data=services.ContactData(
            family_name=values["family_name"],
            given_name=values["given_name"],
            family_name_kana=values["family_name_kana"],
            given_name_kana=values["given_name_kana"],
            emails=[services.EmailIn(values["email"], is_primary=True)],
            phones=[services.PhoneIn(values["phone"], is_primary=True)],
        ),
    )


def _bare_save(workspace, owner, values: dict):
    """The floor: what any Django app storing the same encrypted contact does
    at least. One transaction, three ``save()`` INSERTs (contact, email,
    phone) whose ``EncryptedTextField``s are sealed with AES-GCM, and the
    same blind-index terms computed (keyed hashes of the email, the phone and
    every name token; a bare app would keep them in the rows' own columns).
    No validation, policy, search-term rows, audit chain, subject key or
    events."""
    from django.db import transaction

    from terabox_crm.contacts import search
    from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
    from terabox_crm.crypto import search_index

    with transaction.atomic():
        contact = Contact(
            workspace=workspace,
            owner=owner,
            family_name=values["family_name"],
            given_name=values["given_name"],
            family_name_kana=values["family_name_kana"],
            given_name_kana=values["given_name_kana"],
        )
        contact.save()
        ContactEmail(
            workspace=workspace, contact=contact, value=values["email"], is_primary=True
        ).save()
        ContactPhone(
            workspace=workspace, contact=contact, value=values["phone"], is_primary=True
        ).save()
        ws = workspace.pk
        terms = [
            search_index.term(ws, search.CONTACT_EMAIL, values["email"]),
            search_index.term(ws, search.CONTACT_PHONE, values["phone"]),
            *(
                search_index.term(ws, search.CONTACT_NAME, token)
                for token in search.contact_name_tokens(contact)
            ),
        ]
    return contact, terms


def statements_of(call) -> dict:
    """SQL statements ``call`` runs, transaction control apart, and the
    transactions it commits (after-commit work such as the webhook fan-out
    included: it runs at commit, in autocommit, as in a request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commits = 0
    original = connection.commit

    def counting_commit():
        nonlocal commits
        commits += 1
        return original()

    connection.commit = counting_commit
    try:
        with CaptureQueriesContext(connection) as captured:
            call()
    finally:
        del connection.commit
    sql = [query["sql"] for query in captured.captured_queries]
    control = [s for s in sql if s.upper().startswith(TRANSACTION_CONTROL)]
    return {"statements": len(sql) - len(control), "transactions": commits, "sql": sql}


def write_path(count: int) -> dict:
    """Creating one contact (one email, one phone) through
    ``contacts.services.contact_create`` beside the bare ``save()`` floor, in
    a workspace of their own, the process in autocommit as a request is:
    statements per create, then creates per second, the two measured in
    alternating blocks so that a busy machine slows both alike."""
    from django_scopes import scope

    from terabox_crm.core.models import Membership

    workspace, owner = make_workspace("Bench writes")
    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        for index in range(5):  # keys, chain head, caches: the steady state is measured
            _service_create(membership, _write_values(index, "warm"))
            _bare_save(workspace, owner, _write_values(index, "warmbare"))
        counted = statements_of(lambda: _service_create(membership, _write_values(0, "count")))
        floor_counted = statements_of(
            lambda: _bare_save(workspace, owner, _write_values(0, "countbare"))
        )
        service, floor, service_cpu, floor_cpu = [], [], [], []
        block = 10
        for start in range(0, count, block):
            for index in range(start, min(start + block, count)):
                values = _write_values(index, "svc")
                began, cpu = time.perf_counter(), time.thread_time()
                _service_create(membership, values)
                service_cpu.append(time.thread_time() - cpu)
                service.append(time.perf_counter() - began)
            for index in range(start, min(start + block, count)):
                values = _write_values(index, "bare")
                began, cpu = time.perf_counter(), time.thread_time()
                _bare_save(workspace, owner, values)
                floor_cpu.append(time.thread_time() - cpu)
                floor.append(time.perf_counter() - began)
    service_rate = len(service) / sum(service)
    floor_rate = len(floor) / sum(floor)
    return {
        "creates": count,
        "statements_per_create": counted["statements"],
        "transactions_per_create": counted["transactions"],
        "statements": counted["sql"],
        "floor_statements_per_create": floor_counted["statements"],
        "service": {"creates_per_second": round(service_rate, 1), **summary(service)},
        "floor_bare_save": {"creates_per_second": round(floor_rate, 1), **summary(floor)},
        "floor_vs_service": round(floor_rate / service_rate, 2),
        # The same comparison at the median: the means carry the outliers
        # (WAL checkpoints, GC, other processes) of whichever side they hit.
        "floor_vs_service_p50": round(statistics.median(service) / statistics.median(floor), 2),
        # CPU time of this thread per create (mean): what other processes'
        # load does not add to. On SQLite it holds the database engine's work
        # (in process) but not waits for the disk; on PostgreSQL only the
        # client's side, the server's work being in its own process.
        "cpu_ms": {
            "service": round(statistics.mean(service_cpu) * 1000, 3),
            "floor_bare_save": round(statistics.mean(floor_cpu) * 1000, 3),
        },
        "floor_vs_service_cpu": round(sum(service_cpu) / sum(floor_cpu), 2),
    }


def measure(workspace, owner, count: int, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django_scopes import scope

    from bench.bare_urls import plain_email_ids
    from terabox_crm.activities.models import Activity
    from terabox_crm.contacts import search, selectors
    from terabox_crm.contacts.models import Contact
    from terabox_crm.crypto import search_index
    from terabox_crm.crypto.models import SearchTerm
    from terabox_crm.deals import selectors as deal_selectors
    from terabox_crm.deals import services as deal_services
    from terabox_crm.deals.models import Deal, Pipeline
    from terabox_crm.testing.auth import login

    results: dict = {}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, owner)
    bare = Client()

    def get(url, via=client, **params):
        response = via.get(url, params)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response

    # The first request of a process pays for loading the workspace's keys
    # and warming Django: reported on its own, not mixed into the samples.
    # The floor lists the same rows: this workspace's (a plain filter, not
    # the scoping machinery), in the same order.
    bare_list = f"/bench/bare-contacts/?workspace={workspace.pk}"
    results["api_list_page_1_cold"] = summary(timed(lambda: get("/api/v1/contacts/"), 1, warm=0))
    results["api_list_page_1"] = summary(timed(lambda: get("/api/v1/contacts/"), repeat))
    results["bare_drf_page_1"] = summary(timed(lambda: get(bare_list, via=bare), repeat))

    # Walk the cursor to page 1,000 (or as deep as the data goes), then time that page.
    deep_page = min(1000, max(1, count // 50))
    url = "/api/v1/contacts/"
    for _ in range(deep_page - 1):
        url = get(url).json()["next"]
    results["api_list_page_deep"] = {"page": deep_page, **summary(timed(lambda: get(url), repeat))}
    bare_url = bare_list
    for _ in range(deep_page - 1):
        bare_url = get(bare_url, via=bare).json()["next"]
    results["bare_drf_page_deep"] = {
        "page": deep_page,
        **summary(timed(lambda: get(bare_url, via=bare), repeat)),
    }

    rng = random.Random(1)
    targets = [f"user{rng.randrange(count)}@{workspace.slug}.example.jp" for _ in range(repeat)]

    def cycling():
        while True:
            yield from targets

    emails = cycling()
    results["api_email_search"] = summary(
        timed(lambda: get("/api/v1/contacts/", email=next(emails)), repeat)
    )
    emails = cycling()
    results["bare_drf_email_search_plaintext"] = summary(
        timed(
            lambda: get(
                "/bench/bare-contacts/", via=bare, workspace=str(workspace.pk), email=next(emails)
            ),
            repeat,
        )
    )
    membership = (
        owner.memberships.with_scopes_disabled()
        .select_related("workspace")
        .get(workspace=workspace)
    )
    with scope(workspace=workspace):
        emails = cycling()

        def blind_lookup():
            # The product's query: blind-index candidates, then the false
            # positives of the truncated index dropped after decryption.
            filters = selectors.ContactFilters(email=next(emails))
            queryset, checks = selectors.filter_contacts(
                selectors.contacts_for_list(membership), membership, filters
            )
            rows = [
                row
                for row in queryset[:10]
                if all(selectors._contact_matches(row, *check) for check in checks)
            ]
            assert len(rows) == 1
            return rows

        results["selector_email_search_blind_index"] = summary(timed(blind_lookup, repeat))
        emails = cycling()

        def plain_lookup():
            # The same query on an unencrypted indexed column: same scoping,
            # joins and prefetches, no keyed hash and nothing to decrypt.
            queryset = selectors.contacts_for_list(membership).filter(
                pk__in=plain_email_ids(str(workspace.pk), next(emails))
            )
            rows = list(queryset[:10])
            assert len(rows) == 1
            return rows

        results["reference_email_search_plaintext"] = summary(timed(plain_lookup, repeat))

    # The index alone, at the SQL level: keyed hash + indexed term lookup
    # beside the plaintext indexed lookup.
    emails = cycling()

    table = SearchTerm._meta.db_table

    def term_sql():
        term = search_index.term(workspace.pk, search.CONTACT_EMAIL, next(emails))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT object_id FROM {table} WHERE workspace_id = %s AND domain = %s AND term = %s",
                [_db_id(workspace.pk), search.CONTACT_EMAIL, term],
            )
            return cursor.fetchall()

    results["sql_blind_index_term_lookup"] = summary(timed(term_sql, repeat))
    emails = cycling()

    def plain_sql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT contact_id FROM bench_plain_email WHERE workspace_id = %s AND email = %s",
                [str(workspace.pk), next(emails)],
            )
            return cursor.fetchall()

    results["sql_plaintext_lookup"] = summary(timed(plain_sql, repeat))

    with scope(workspace=workspace):
        contact = Contact.objects.order_by("created_at").first()
        missing = 100 - Activity.objects.filter(contact=contact).count()
        Activity.objects.bulk_create(
            Activity(
                workspace=workspace,
                kind="note",
                subject=f"Note {i}",
                body="Spoke about the renewal.",
                occurred_at=contact.created_at,
                contact=contact,
                owner=owner,
            )
            for i in range(missing)
        )
    results["contact_page_100_activities"] = summary(
        timed(lambda: get(f"/contacts/{contact.pk}/"), repeat)
    )
    results["bare_drf_contact_100_activities"] = summary(
        timed(lambda: get(f"/bench/bare-contacts/{contact.pk}/timeline/", via=bare), repeat)
    )

    with scope(workspace=workspace):
        pipeline = Pipeline.objects.filter(name="Bench").first()
        if pipeline is None:
            pipeline = deal_services.pipeline_create(membership=membership, name="Bench")
            stages = list(pipeline.stages.all())
            Deal.objects.bulk_create(
                Deal(
                    workspace=workspace,
                    pipeline=pipeline,
                    stage=stages[i % len(stages)],
                    name=f"Deal {i}",
                    owner=owner,
                    board_position=i,
                    amount=1000 + i,
                )
                for i in range(500)
            )
    results["deal_board_500"] = summary(timed(lambda: get(f"/deals/board/{pipeline.pk}/"), repeat))
    results["bare_drf_board_500"] = summary(
        timed(
            lambda: get(
                "/bench/bare-board/",
                via=bare,
                pipeline=str(pipeline.pk),
                per_stage=deal_selectors.BOARD_PAGE_SIZE,
            ),
            repeat,
        )
    )
    return results


# Each product figure and the floor it is compared with.
FLOORS = {
    "api_list_page_1": "bare_drf_page_1",
    "api_list_page_deep": "bare_drf_page_deep",
    "api_email_search": "bare_drf_email_search_plaintext",
    "contact_page_100_activities": "bare_drf_contact_100_activities",
    "deal_board_500": "bare_drf_board_500",
}


def ratios(timings: dict) -> dict:
    def ratio(a: str, b: str, key: str = "p50_ms") -> float:
        return round(timings[a][key] / timings[b][key], 2)

    out = {f"{name}_vs_floor_p50": ratio(name, floor) for name, floor in FLOORS.items()}
    out["deep_vs_page_1_p50"] = ratio("api_list_page_deep", "api_list_page_1")
    out["blind_vs_plain_p50"] = ratio(
        "selector_email_search_blind_index", "reference_email_search_plaintext"
    )
    out["blind_vs_plain_p99"] = ratio(
        "selector_email_search_blind_index", "reference_email_search_plaintext", "p99_ms"
    )
    out["sql_blind_vs_plain_p50"] = ratio("sql_blind_index_term_lookup", "sql_plaintext_lookup")
    out["sql_blind_vs_plain_p99"] = ratio(
        "sql_blind_index_term_lookup", "sql_plaintext_lookup", "p99_ms"
    )
    return out


def flush_to_disk() -> None:
    """Write back what earlier work left dirty (PostgreSQL's CHECKPOINT, SQLite's
    WAL checkpoint), so no write-back lands among the timed reads."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def remember(workspace, seeded: dict) -> None:
    """Record what was seeded, so a later ``--phase measure`` finds it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (workspace_id varchar(36), seeded text)"
        )
        cursor.execute("DELETE FROM bench_meta")
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, %s)", [str(workspace.pk), json.dumps(seeded)]
        )


def recall():
    from django.db import connection
    from django_scopes import scopes_disabled

    from terabox_crm.core.models import Membership, Workspace
    from terabox_crm.core.roles import Role

    with connection.cursor() as cursor:
        cursor.execute("SELECT workspace_id, seeded FROM bench_meta")
        workspace_id, seeded = cursor.fetchone()
    with scopes_disabled():
        workspace = Workspace.objects.get(pk=workspace_id)
        owner = Membership.objects.get(workspace=workspace, role=Role.OWNER).user
    return workspace, owner, json.loads(seeded)


def _client_for(workspace, owner):
    from django.test import Client

    from terabox_crm.testing.auth import login

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, owner)
    return client


def _erasure_person(workspace, membership, activities: int):
    """A contact with an email, a phone, ``activities`` activities, a deal and a ticket."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scope

    from terabox_crm.activities.models import Activity
    from terabox_crm.contacts import services as contacts
    from terabox_crm.deals import services as deals
    from terabox_crm.support import services as support

    with scope(workspace=workspace):
        person = contacts.contact_create(
            membership=membership,
            data=contacts.ContactData(
                family_name="消去",
                given_name="試験",
                emails=[contacts.EmailIn(f"erase-{uuid.uuid4().hex[:8]}@bench.example")],
                phones=[contacts.PhoneIn("+819011112222")],
            ),
        )
        now = timezone.now()
        with transaction.atomic():
            Activity.objects.bulk_create(
                Activity(
                    workspace=workspace,
                    owner_id=membership.user_id,
                    contact=person,
                    kind="note",
                    subject=f"Call {index}",
                    body="Talked about the renewal; wants a quote by Friday.",
                    occurred_at=now,
                )
                for index in range(activities)
            )
        pipeline = deals.pipeline_create(membership=membership, name=f"Erasure {person.pk}")
        deals.deal_create(
            membership=membership,
            data=deals.DealData(
                name="消去 試験 renewal",
                stage=pipeline.stages.order_by("position").first(),
                amount="100000",
                contact=person,
            ),
        )
        support.ticket_open(
            membership=membership,
            data=support.TicketData(
                subject="Question", description="About the invoice", contact=person
            ),
        )
    return person


def erasure_phase(workspace, owner, *, activities: int = 1000, repeat: int = 5) -> dict:
    """Erase one person with ``activities`` activities (P8), ``repeat`` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from terabox_crm.core.models import Membership
    from terabox_crm.erasure import services

    with scopes_disabled():
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        membership.is_privacy_officer = True
        membership.save(update_fields=["is_privacy_officer"])
    seconds, statements = [], []
    for _ in range(repeat):
        person = _erasure_person(workspace, membership, activities)
        with CaptureQueriesContext(connection) as captured, scope(workspace=workspace):
            start = time.perf_counter()
            services.subject_erase(membership=membership, subject_id=person.pk, reason="bench")
            seconds.append(time.perf_counter() - start)
        statements.append(len(captured.captured_queries))
    return {
        "activities_per_person": activities,
        "runs": repeat,
        "seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        "statements": statements,
        "target_seconds": 1.0,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument(
        "--workspaces", type=int, default=0, help="extra workspaces of the same size"
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--service-inserts", type=int, default=300)
    parser.add_argument(
        "--write-creates", type=int, default=1000, help="contacts created per side (write path)"
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 contacts, few repeats (CI)")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--phase",
        choices=[
            "all",
            "seed",
            "measure",
            "write",
            "gate",
            "erasure",
            "access-export",
            "retention",
            "names",
            "export",
            "backup",
            "detection",
            "webhooks",
        ],
        default="all",
        help="seed once, then measure (as often as wanted) on an idle machine;"
        " write: only the single-record write path, on an empty database;"
        " gate: only the purpose gate (P3), on an empty database;"
        " retention: expiring one in ten of --contacts (bench/retention.py);"
        " names: company-name words and joined full names (bench/name_search.py);"
        " backup: backup and restore beside sqlite3 .backup / pg_dump (bench/backup.py);"
        " detection: detection's cost per request, Redis and SQLite cache (bench/detection.py);"
        " webhooks: a bulk change's webhook fan-out, per object and together (bench/webhooks.py)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.contacts, args.repeat, args.service_inserts = 2000, 5, 20
        args.write_creates = 100
    seeds_itself = args.phase in (
        "all",
        "write",
        "gate",
        "erasure",
        "retention",
        "names",
        "export",
        "backup",
        "detection",
        "webhooks",
    ) or (args.phase == "access-export" and args.smoke)
    if not seeds_itself and not (args.data_dir or os.environ.get("DATABASE_URL")):
        parser.error("--phase seed/measure needs --data-dir (SQLite) or DATABASE_URL")
    setup(args.data_dir or tempfile.mkdtemp(prefix="tbx-bench-"))
    batch = 200 if args.smoke else 1000  # records per bulk action (bench/webhooks.py)

    from django.db import connection

    if args.phase == "write":
        report = {"database": connection.vendor, "write_path": write_path(args.write_creates)}
        return _emit(report, args.out)
    if args.phase == "gate":
        plain_reference_table()
        report = {"database": connection.vendor, "gate": gate_phase(args.contacts, args.repeat)}
        return _emit(report, args.out)
    if args.phase == "names":
        from bench.name_search import names_phase

        report = {
            "database": connection.vendor,
            "names": names_phase(args.contacts, args.repeat, min(args.write_creates, 200)),
        }
        return _emit(report, args.out)
    if args.phase == "export":
        from bench.export import export_phase
        from bench.retention import _seeded

        found = _seeded()  # an earlier --phase seed in this data dir or database
        if found is not None:
            workspace, owner, meta = found
            seeded = {"contacts": meta["contacts"], "seed": {"reused": meta.get("seed")}}
        else:
            workspace, owner = make_workspace("Bench export")
            plain_reference_table()
            seeded = {
                "contacts": args.contacts,
                "seed": seed_contacts(workspace, owner, args.contacts),
            }
        return _emit({**seeded, "export": export_phase(workspace, owner)}, args.out)
    if args.phase == "detection":
        from bench.detection import detection_phase

        report = {"detection": detection_phase(200 if args.smoke else 2000)}
        return _emit(report, args.out)
    if args.phase == "webhooks":
        from bench.webhooks import webhooks_phase

        report = {"database": connection.vendor, "webhooks": webhooks_phase(batch)}
        return _emit(report, args.out)
    if args.phase == "retention":
        from bench.retention import retention_phase

        return _emit({"retention": retention_phase(args.contacts)}, args.out)
    if args.phase == "backup":
        from bench.backup import backup_phase

        return _emit({"backup": backup_phase(args.contacts)}, args.out)
    plain_reference_table()
    if args.phase == "access-export":
        from bench.access_export import access_export

        if args.smoke:
            workspace, owner = make_workspace("Bench main")
            remember(workspace, {"contacts": args.contacts, "workspaces": 1,
                                 "seed": seed_contacts(workspace, owner, args.contacts)})  # fmt: skip
        workspace, owner, seeded = recall()
        report = {"database": connection.vendor, **seeded}
        report["access_export"] = access_export(workspace, owner, repeat=3 if args.smoke else 5)
        return _emit(report, args.out)
    if args.phase == "erasure":
        try:
            workspace, owner, seeded = recall()
        except Exception:  # nothing seeded in this database yet: seed it now
            workspace, owner = make_workspace("Bench main")
            seeded = {"contacts": args.contacts, "workspaces": 1}
            seeded["seed"] = seed_contacts(workspace, owner, args.contacts)
            remember(workspace, seeded)
        report = {"database": connection.vendor, **seeded}
        report["erasure"] = erasure_phase(workspace, owner, repeat=3 if args.smoke else 5)
        return _emit(report, args.out)
    if args.phase in ("all", "seed"):
        workspace, owner = make_workspace("Bench main")
        seeded = {"contacts": args.contacts, "workspaces": 1 + args.workspaces}
        seeded["seed"] = seed_contacts(workspace, owner, args.contacts)
        for index in range(args.workspaces):
            other, other_owner = make_workspace(f"Bench {index + 2}")
            seed_contacts(other, other_owner, args.contacts)
        remember(workspace, seeded)
        if args.phase == "seed":
            print(json.dumps(seeded, indent=2))
            return 0
    workspace, owner, seeded = recall()
    report: dict = {"database": connection.vendor, **seeded}
    # A live install refreshes SQLite's planner statistics hourly
    # (ops.tasks.refresh_planner_statistics); a freshly seeded file has none.
    from terabox_crm.ops import maintenance

    report["planner_statistics_refreshed"] = maintenance.refresh_statistics()
    # The server freezes its start-up objects out of full GC passes
    # (terabox_crm/asgi.py, ops/heap.py); this process does the same.
    from terabox_crm.ops import heap

    report["objects_frozen_at_start"] = heap.settle()
    # Reads first, on a flushed database; the writes afterwards, so their
    # dirty pages are not written back while reads are being timed.
    flush_to_disk()
    report["timings"] = measure(workspace, owner, seeded["contacts"], args.repeat)
    report["ratios"] = ratios(report["timings"])
    # Priced in workspaces of their own: rows written without encryption must
    # never sit among the rows the timings above decrypt.
    with_encryption = service_inserts(*make_workspace("Bench inserts"), args.service_inserts)
    with null_cipher():
        without_encryption = service_inserts(
            *make_workspace("Bench inserts, no encryption"), args.service_inserts
        )
    report["service_inserts_per_second"] = {
        "with_encryption": round(with_encryption, 1),
        "without_encryption": round(without_encryption, 1),
        "encryption_cost_percent": round((1 - with_encryption / without_encryption) * 100, 1),
        "ms_per_contact_with_encryption_and_audit": round(1000 / with_encryption, 2),
    }
    report["api_create_per_contact"] = api_creates(
        _client_for(*make_workspace("Bench API creates")), args.service_inserts
    )
    report["write_path"] = write_path(args.write_creates)
    report["gate"] = gate_phase(min(args.contacts, 100_000), args.repeat)
    from bench.access_export import access_export

    report["access_export"] = access_export(workspace, owner, repeat=3 if args.smoke else 5)
    report["erasure"] = erasure_phase(workspace, owner, repeat=3 if args.smoke else 5)
    from bench.retention import retention_phase

    report["retention"] = retention_phase(min(args.contacts, 100_000))
    from bench.export import export_phase

    # Last: the export reads every contact of the main workspace (bench/export.py).
    report["export"] = export_phase(workspace, owner)
    if args.smoke:  # at scale, run --phase backup on its own (docs/performance.md)
        from bench.backup import backup_phase

        report["backup"] = backup_phase(args.contacts)
    from bench.detection import detection_phase

    report["detection"] = detection_phase(200 if args.smoke else 2000)
    from bench.webhooks import webhooks_phase

    report["webhooks"] = webhooks_phase(batch)
    return _emit(report, args.out)


def gate_phase(count: int, repeat: int) -> dict:
    """The purpose gate (P3) for ``count`` contacts at once, beside the floor: a
    plain indexed ``SELECT id … WHERE id IN (…)`` over the same ids and chunks."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from terabox_crm.contacts.models import Contact
    from terabox_crm.privacy import gate
    from terabox_crm.privacy.models import ConsentEvent, Purpose, Restriction

    workspace, owner = make_workspace("Bench gate")
    seeded = seed_contacts(workspace, owner, count)
    with scopes_disabled():
        ids = list(Contact.objects.filter(workspace=workspace).values_list("pk", flat=True))
        purpose = Purpose.objects.get(workspace=workspace, code="communication")
        now = timezone.now()
        consented = ids[: len(ids) // 2]
        withdrawn = consented[: len(consented) // 10]
        restricted = ids[::100]
        for start in range(0, len(consented), 1000):
            with transaction.atomic():
                ConsentEvent.objects.bulk_create(
                    ConsentEvent(
                        workspace=workspace,
                        subject_id=subject,
                        purpose=purpose,
                        kind="grant",
                        channel="import",
                        occurred_at=now - timedelta(days=2),
                    )
                    for subject in consented[start : start + 1000]
                )
        for start in range(0, len(withdrawn), 1000):
            with transaction.atomic():
                ConsentEvent.objects.bulk_create(
                    ConsentEvent(
                        workspace=workspace,
                        subject_id=subject,
                        purpose=purpose,
                        kind="withdraw",
                        channel="email",
                        occurred_at=now - timedelta(days=1),
                    )
                    for subject in withdrawn[start : start + 1000]
                )
        for start in range(0, len(restricted), 1000):
            with transaction.atomic():
                Restriction.objects.bulk_create(
                    Restriction(
                        workspace=workspace, subject_id=subject, reason="x", requested_by="x"
                    )
                    for subject in restricted[start : start + 1000]
                )

        def check():
            return gate.check(
                workspace=workspace, purpose="communication", subject_ids=ids, log=False
            )

        def plain():
            found = []
            for start in range(0, len(ids), gate.CHUNK):
                found += Contact.objects.filter(
                    pk__in=gate.ids_in(ids[start : start + gate.CHUNK])
                ).values_list("pk", flat=True)
            return found

        def plain_in_list():
            found = []
            for start in range(0, len(ids), gate.CHUNK):
                found += Contact.objects.filter(pk__in=ids[start : start + gate.CHUNK]).values_list(
                    "pk", flat=True
                )
            return found

        # As a live install does hourly (ops.tasks.refresh_planner_statistics).
        from terabox_crm.ops import maintenance

        maintenance.refresh_statistics()

        decision = check()
        runs = max(3, min(repeat, 10))
        gate_samples = timed(check, runs, warm=1)
        plain_samples = timed(plain, runs, warm=1)
        in_list_samples = timed(plain_in_list, runs, warm=1)
    gate_ms = statistics.median(gate_samples) * 1000
    plain_ms = statistics.median(plain_samples) * 1000
    in_list_ms = statistics.median(in_list_samples) * 1000
    return {
        "contacts": len(ids),
        "seed": seeded,
        "allowed": len(decision.allowed),
        "refused": dict(
            sorted(
                {
                    code: sum(1 for r in decision.refused.values() if r.code == code)
                    for code in {r.code for r in decision.refused.values()}
                }.items()
            )
        ),
        "gate_p50_ms": round(gate_ms, 1),
        "plain_p50_ms": round(plain_ms, 1),
        "plain_in_list_p50_ms": round(in_list_ms, 1),
        "gate_contacts_per_second": round(len(ids) / (gate_ms / 1000)),
        "plain_contacts_per_second": round(len(ids) / (plain_ms / 1000)),
        "gate_over_plain": round(gate_ms / plain_ms, 2),
        "runs": runs,
    }


def _emit(report: dict, out: str) -> int:
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
