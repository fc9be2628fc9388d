"""A large CSV or JSON export is built in blocks, some by helper processes
(``exports.building``), and the file is the same as one process writes:
the same bytes, the same refusals counted, the same people recorded as
provided to a third party (S4, S5, P3, P4). The helpers here answer in this
process through the helpers' own protocol (``serve``, ``read_result``); the
real processes are ``tests/test_export_helpers_process.py``."""

from __future__ import annotations

import io
import json
import logging
import queue
from collections import Counter

import pytest
from django.db import connection
from django.test import override_settings
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.exports import building, services
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import contact_in, file_rows, member_of, read_file
from terabox_crm.privacy import gate
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import ProvisionRecord, ProvisionSubject

pytestmark = pytest.mark.django_db


class InProcess(building.Helper):
    """A helper answering in this process: each block encoded by ``serve``
    under the helper's own plan (``services.helper_plan``) and read back by
    ``read_result``, as the job's reader thread reads a helper's pipe."""

    def __init__(
        self, *, ready_after: int = 0, fail_on: int | None = None, busy_polls: int = 0
    ) -> None:
        self.asked = 0
        self.ready_after = ready_after  # calls of ``ready`` before it has started
        self.fail_on = fail_on  # its n-th answer: lost instead
        self.busy_polls = busy_polls  # polls answered "not yet" before each answer
        self.polls = 0
        self.blocks: list[building.Block] = []
        self.assigned = self.answered = 0
        self.closed = False
        self.export_id = None

    def bind(self, item: Export) -> InProcess:
        self.export_id = item.pk  # what Helper.start tells its process
        return self

    def ready(self) -> bool:
        self.asked += 1
        return self.asked > self.ready_after

    def assign(self, block: building.Block) -> None:
        self.blocks.append(block)
        self.assigned += 1

    def result(self, *, wait: bool):
        if not wait and self.polls < self.busy_polls:
            self.polls += 1
            raise queue.Empty
        self.polls = 0
        if self.fail_on is not None and self.answered + 1 >= self.fail_on:
            raise building.HelperLost("helper 0 stopped")
        block = self.blocks.pop(0)
        stdin = io.BytesIO(json.dumps(block.as_json()).encode() + b"\n")
        stdout = io.BytesIO()
        with services.helper_plan(self.export_id) as plan:
            building.serve(stdin, stdout, plan)
        stdout.seek(0)
        assert json.loads(stdout.readline()) == {"ready": True}
        self.answered += 1
        return building.read_result(stdout, 0)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(building, "FIRST_BLOCK", 1)
    monkeypatch.setattr(building, "BLOCK_ROWS", 2)


def _build(membership, capture, monkeypatch, *, helpers=(), **kwargs) -> Export:
    """Ask for an export and build it, with ``helpers`` when there are some."""
    kwargs.setdefault("resource", "contacts")
    kwargs.setdefault("format", "csv")
    kwargs.setdefault("purpose", "support")
    given = list(helpers)
    monkeypatch.setattr(building, "processes_for", lambda item: 1 + len(given))
    monkeypatch.setattr(
        building, "start_helpers", lambda item, count: [h.bind(item) for h in given[:count]]
    )
    with capture(execute=False):
        item = services.export_request(membership=membership, **kwargs)
    services.export_count(item.pk)
    services.export_build(item.pk)
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def _people(cast, count: int = 7):
    manager = member_of(cast.acme, cast.manager)
    officer = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        officer.is_privacy_officer = True
    made = [
        contact_in(manager, family=f"人{n}", given="=1+1" if n == 3 else "花子")
        for n in range(count)
    ]
    with scope(workspace=cast.acme):
        for contact in made[:5]:
            privacy.consent_grant(
                membership=officer,
                subject_id=contact.pk,
                purpose="communication",
                channel="web_form",
            )
        privacy.consent_withdraw(
            membership=officer, subject_id=made[1].pk, purpose="communication", channel="email"
        )
        privacy.restriction_set(
            membership=officer, subject_id=made[4].pk, reason="asked", requested_by="the person"
        )
    return manager, made


def test_blocks_cover_every_row_once_in_order(cast, small_blocks):
    _manager, made = _people(cast)
    with scope(workspace=cast.acme):
        queryset = type(made[0]).objects.filter(workspace=cast.acme)
        blocks = list(building.boundaries(queryset))
        seen = []
        for block in blocks:
            seen += list(
                block.of(services.resources.Selection(queryset))
                .queryset.order_by("pk")
                .values_list("pk", flat=True)
            )
    assert seen == sorted(contact.pk for contact in made)
    # 1 + 2 + 2 + 2 rows, then the open end (empty here: rows added meanwhile go there).
    assert [len(blocks), blocks[0].after, blocks[-1].up_to] == [5, None, None]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("purpose", ["support", "communication"])
def test_a_file_built_with_helpers_is_the_file_one_process_builds(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks, fmt, purpose
):
    manager, _made = _people(cast)
    capture = django_capture_on_commit_callbacks
    alone = _build(manager, capture, monkeypatch, format=fmt, purpose=purpose)
    helper = InProcess()
    helped = _build(manager, capture, monkeypatch, helpers=[helper], format=fmt, purpose=purpose)
    assert helper.answered >= 2 and helper.closed  # it built blocks, and was stopped
    assert read_file(helped) == read_file(alone)
    assert helped.sha256 == alone.sha256 and helped.size == alone.size
    assert (helped.rows, helped.excluded, helped.progress) == (
        alone.rows,
        alone.excluded,
        alone.progress,
    )
    if purpose == "communication":
        assert helped.rows == 3 and helped.excluded == {
            "withdrawn": 1,
            "restricted": 1,
            "no_consent": 2,
        }
    else:
        assert helped.rows == 6 and helped.excluded == {"restricted": 1}
    rows = file_rows(fmt, read_file(helped))
    assert len(rows) == helped.rows + (1 if fmt == "csv" else 0)
    if fmt == "csv" and purpose == "support":
        assert ["人3", "'=1+1"] in [row[1:3] for row in rows]  # the formula guard


def test_the_refusals_of_every_block_make_one_audit_event(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks
):
    manager, made = _people(cast)
    item = _build(
        manager,
        django_capture_on_commit_callbacks,
        monkeypatch,
        helpers=[InProcess()],
        purpose="communication",
    )
    with scopes_disabled():
        (event,) = AuditEvent.objects.filter(action="privacy.gate.refused")
    assert event.payload["export"] == str(item.pk)
    assert event.payload["refused"] == 4 and event.payload["allowed"] == 3
    assert event.payload["reasons"] == {"withdrawn": 1, "restricted": 1, "no_consent": 2}
    assert event.payload["subjects"] == {
        str(made[1].pk): "withdrawn",
        str(made[4].pk): "restricted",
        str(made[5].pk): "no_consent",
        str(made[6].pk): "no_consent",
    }


def test_the_people_a_helper_provided_to_a_third_party_are_recorded(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks
):
    manager, made = _people(cast)
    item = _build(
        manager,
        django_capture_on_commit_callbacks,
        monkeypatch,
        helpers=[InProcess()],
        recipient="株式会社パートナー",
    )
    with scopes_disabled():
        record = ProvisionRecord.objects.get(reference=str(item.pk))
        subjects = set(
            ProvisionSubject.objects.filter(record=record).values_list("subject_id", flat=True)
        )
    provided = {person.pk for n, person in enumerate(made) if n != 4}  # not the restricted one
    assert record.subject_count == 6 and subjects == provided


def test_a_helper_that_fails_leaves_its_block_to_the_job(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks, caplog
):
    manager, _made = _people(cast)
    capture = django_capture_on_commit_callbacks
    alone = _build(manager, capture, monkeypatch)
    failing = InProcess(fail_on=2)
    with caplog.at_level(logging.WARNING, logger="terabox_crm.exports.building"):
        helped = _build(manager, capture, monkeypatch, helpers=[failing])
    # One block answered; the second lost, built here with every later one.
    assert failing.answered == 1 and failing.assigned == 2
    assert read_file(helped) == read_file(alone) and helped.status == "ready"
    assert "its blocks are built here" in caplog.text


def test_a_helper_still_starting_gets_blocks_once_it_is_ready(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks
):
    manager, _made = _people(cast)
    capture = django_capture_on_commit_callbacks
    alone = _build(manager, capture, monkeypatch)
    late = InProcess(ready_after=2)
    never = InProcess(ready_after=100)
    helped = _build(manager, capture, monkeypatch, helpers=[late, never])
    assert late.answered >= 1 and never.assigned == 0
    assert read_file(helped) == read_file(alone)


def test_the_job_builds_blocks_ahead_while_a_helper_is_busy(
    cast, django_capture_on_commit_callbacks, monkeypatch, small_blocks
):
    manager, _made = _people(cast)
    capture = django_capture_on_commit_callbacks
    alone = _build(manager, capture, monkeypatch)
    encoded_here = []
    real = building.encode

    def counted(plan, block):
        encoded_here.append(block)
        return real(plan, block)

    slow = InProcess(busy_polls=5)
    monkeypatch.setattr(building, "encode", counted)
    helped = _build(manager, capture, monkeypatch, helpers=[slow])
    # 1 + 2 + 2 + 2 rows and the empty end: the helper got the first two at
    # once; the job encoded the next two meanwhile, past the block it waited
    # for (AHEAD), then waited; the helper got the last.
    # (``encode`` counts the helper's blocks too: ``serve`` encodes them.)
    assert slow.answered == 3 and len(encoded_here) - slow.answered == building.AHEAD == 2
    assert read_file(helped) == read_file(alone)


def test_a_helper_plans_only_an_export_being_built(cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        item = services.export_request(
            membership=manager, resource="contacts", format="csv", purpose="support"
        )
    with pytest.raises(Export.DoesNotExist), services.helper_plan(item.pk):
        pass  # ready: built already, nothing for a helper to do


def test_which_exports_are_built_by_more_than_one_process(cast, settings):
    item = Export(format="csv", matched=60_000)
    settings.EXPORT_PARALLEL_FROM = 50_000
    settings.EXPORT_PROCESSES = 2
    # A test run's SQLite database is in memory: no other process can open it.
    assert building.processes_for(item) == (1 if connection.vendor == "sqlite" else 2)
    assert building.processes_for(Export(format="xlsx", matched=60_000)) == 1
    assert building.processes_for(Export(format="csv", matched=49_999)) == 1
    settings.EXPORT_PROCESSES = 1
    assert building.processes_for(item) == 1


def test_a_run_merges_blocks_and_keeps_the_first_refused_ids():
    total = building.Run()
    for n in range(3):
        part = building.Run(
            read=10,
            rows=8,
            excluded=Counter({"restricted": 2}),
            refused={f"{n}-{k}": "restricted" for k in range(gate.LOGGED_IDS)},
        )
        total.add(building.Run.from_json(json.loads(json.dumps(part.as_json()))))
    assert (total.read, total.rows, total.excluded) == (30, 24, Counter({"restricted": 6}))
    assert len(total.refused) == gate.LOGGED_IDS and next(iter(total.refused)) == "0-0"


@override_settings(EXPORT_PROCESSES=2)
def test_a_helper_answer_cut_short_is_a_lost_helper():
    stream = io.BytesIO(
        b'{"read": 1, "rows": 1, "excluded": {}, "refused": {}, "provided": [], "size": 9}\nabc'
    )
    with pytest.raises(building.HelperLost):
        building.read_result(stream, 1)
    with pytest.raises(building.HelperLost):
        building.read_result(io.BytesIO(b'{"error": "Refusal"}\n'), 1)
    with pytest.raises(building.HelperLost):
        building.read_result(io.BytesIO(b""), 1)
