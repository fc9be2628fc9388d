"""The count before an export runs in its job, not in the request (S4, P3):
an export is asked "counting" at once; the job counts the rows through the
purpose gate, records and audits what the gate leaves out and why, then
applies the approval threshold or builds. A count that cannot be made, or
that forbids the export, fails it with a reason in the requester's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Membership
from terabox_crm.exports import resources, services, writers
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import contact_in, member_of, request_export
from terabox_crm.privacy import services as privacy
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


_ID_BATCHES = resources.id_batches


def _small_batches(queryset, field, *, size=2):
    """The count's batches of ids, two at a time (a few contacts, many batches)."""
    return _ID_BATCHES(queryset, field, size=size)


def _asked(membership, **kwargs) -> Export:
    """An export asked, its job not run yet (held as the request leaves it)."""
    kwargs.setdefault("resource", "contacts")
    kwargs.setdefault("format", "csv")
    kwargs.setdefault("purpose", "support")
    item = services.export_request(membership=membership, **kwargs)
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def _fresh(item: Export) -> Export:
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def _events(action: str) -> list:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_the_request_counts_nothing_and_the_job_counts_then_builds(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    officer = member_of(cast.acme, cast.owner)
    made = [contact_in(manager, family=f"数{n}") for n in range(3)]
    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=officer, subject_id=made[0].pk, reason="asked", requested_by="the person"
        )
    for n in range(3):
        contact_in(manager, family=f"多{n}")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = _asked(manager)
    # Asked at once: no row read, nothing decided yet.
    assert item.status == "counting" and item.is_active and item.matched == 0
    assert not item.approval_required and item.percent == 0
    (requested,) = _events("exports.export.requested")
    assert "matched" not in requested.payload and requested.payload["purpose"] == "support"
    assert not _events("exports.export.counted")
    assert len(callbacks) == 1  # the job, once the request commits

    callbacks[0]()  # the job: count, then build
    item = _fresh(item)
    assert item.status == "ready" and item.matched == 6 and item.rows == 5
    assert item.excluded_before == {"restricted": 1} and item.excluded == {"restricted": 1}
    assert not item.approval_required
    (counted,) = _events("exports.export.counted")
    assert counted.payload["matched"] == 6
    assert counted.payload["excluded"] == {"restricted": 1}
    assert counted.payload["approval_required"] is False
    assert counted.payload["threshold"] == 10_000
    assert str(counted.actor_id) == str(cast.manager.pk)


def test_above_the_threshold_the_count_leaves_it_waiting_for_another_admin(
    cast, django_capture_on_commit_callbacks
):
    services.settings_change(membership=member_of(cast.acme, cast.owner), approval_threshold=2)
    admin = member_of(cast.acme, cast.admin)
    for n in range(3):
        contact_in(admin, family=f"承{n}")
    item = request_export(admin, django_capture_on_commit_callbacks)
    assert item.status == "awaiting" and item.approval_required and item.matched == 3
    assert not item.key_id and item.progress == 0
    (counted,) = _events("exports.export.counted")
    assert counted.payload["approval_required"] is True
    # The approval's job builds without counting again.
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(membership=member_of(cast.acme, cast.owner), export_id=item.pk)
    assert _fresh(item).status == "ready"
    assert len(_events("exports.export.counted")) == 1


def test_the_count_shows_its_progress_while_it_runs(cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    for n in range(3):
        contact_in(manager, family=f"進{n}")
    item = _asked(manager)
    seen = []
    real = services.building.check_batch

    def watched(*args, **kwargs):
        seen.append(_fresh(item).progress)
        return real(*args, **kwargs)

    monkeypatch.setattr(services.building, "check_batch", watched)
    monkeypatch.setattr(services.resources, "id_batches", _small_batches)
    assert services.export_count(item.pk).status == "queued"
    assert seen == [0, 2]  # rows counted before each batch's check
    assert _fresh(item).progress == 0  # the build's own progress starts at zero


def test_a_count_runs_once(cast):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = _asked(manager)
    assert services.export_count(item.pk).status == "queued"
    assert services.export_count(item.pk) is None  # not counting any more: nothing done
    assert len(_events("exports.export.counted")) == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The rows could not be counted. Export again."),
        ("ja", "行数を数えられませんでした。もう一度エクスポートしてください。"),
    ],
)
def test_a_count_that_fails_fails_the_export_and_says_why(
    client, cast, monkeypatch, language, words
):
    cast.manager.language = language
    cast.manager.save(update_fields=["language"])
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = _asked(manager)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services.building, "check_batch", broken)
    done = services.export_count(item.pk)
    assert done.status == "failed" and done.failure == "count_failed"
    assert done.finished_at is not None and not done.key_id
    assert services.export_build(item.pk) is None  # nothing to build
    (failed,) = _events("exports.export.failed")
    assert failed.payload == {"attempts": 0, "failure": "count_failed", "stage": "count"}
    login(client, cast.manager)
    page = client.get(reverse("exports:detail", args=[item.pk])).content.decode()
    assert words in page and "every 2s" not in page
    token = _token(cast)
    body = client.get(f"/api/v1/exports/{item.pk}/", HTTP_ACCEPT_LANGUAGE=language, **token).json()
    assert body["status"] == "failed" and body["failure"] == "count_failed"
    assert body["failure_reason"] == words


def _token(cast) -> dict:
    from terabox_crm.api.services import token_create

    created = token_create(
        membership=member_of(cast.acme, cast.manager), name="script", scopes="read,export"
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}


def test_a_spreadsheet_too_large_fails_at_the_count_with_its_size(client, cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    for n in range(3):
        contact_in(manager, family=f"表{n}")
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 2)
    item = _asked(manager, format="xlsx")
    done = services.export_count(item.pk)
    assert done.status == "failed" and done.failure == "too_many_rows"
    assert done.matched == 3  # the count stays as evidence
    assert "this export has 3." in done.failure_text or "3行あります" in done.failure_text
    login(client, cast.manager)
    page = client.get(reverse("exports:detail", args=[item.pk])).content.decode()
    assert "A spreadsheet holds at most" in page or "表計算のシート" in page


def test_a_requester_who_lost_the_right_fails_at_the_count(cast):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = _asked(manager)
    with scopes_disabled():
        Membership.objects.filter(pk=manager.pk).update(role="viewer")
    done = services.export_count(item.pk)
    assert done.status == "failed" and done.failure == "forbidden"
    assert "may no longer export" in done.failure_text or "エクスポート" in done.failure_text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Counting the rows", "5000 rows counted so far", "Being counted…"]),
        ("ja", ["行数を集計中", "これまでに5000行", "集計中…"]),
    ],
)
def test_the_page_shows_the_count_running_and_polls(client, cast, language, words):
    cast.manager.language = language
    cast.manager.save(update_fields=["language"])
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = _asked(manager)
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(progress=5_000)
    login(client, cast.manager)
    page = client.get(reverse("exports:detail", args=[item.pk])).content.decode()
    assert all(word in page for word in words), page
    assert "every 2s" in page
    partial = client.get(reverse("exports:progress", args=[item.pk])).content.decode()
    assert "every 2s" in partial and words[0] in partial


def test_the_form_counts_at_most_its_limit(client, cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    for n in range(4):
        contact_in(manager, family=f"限{n}")
    monkeypatch.setattr(services, "PREVIEW_LIMIT", 2)
    monkeypatch.setattr(services.resources, "id_batches", _small_batches)
    login(client, cast.manager, step_up=True)
    page = client.get(f"{reverse('exports:new')}?resource=contacts").content.decode()
    assert "More than 2 rows match the list" in page or "2行を超えます" in page
    monkeypatch.setattr(services, "PREVIEW_LIMIT", 10)
    page = client.get(f"{reverse('exports:new')}?resource=contacts").content.decode()
    assert "4 rows" in page or "4 件" in page


def test_the_preview_stops_at_its_limit(cast, monkeypatch):
    manager = member_of(cast.acme, cast.manager)
    for n in range(5):
        contact_in(manager, family=f"止{n}")
    monkeypatch.setattr(services.resources, "id_batches", _small_batches)
    bounded = services.preview(
        membership=manager, resource="contacts", params={}, purpose="support", limit=2
    )
    assert bounded.matched == 2 and not bounded.complete
    whole = services.preview(membership=manager, resource="contacts", params={}, purpose="support")
    assert whole.matched == 5 and whole.complete
