"""Writes of guarded exports (S4, S5, P3, P4).

An export goes: asked (``export_request``: the policy, the purpose, the
filters; created "counting") → counted by its job (``export_count``: the
rows through the purpose gate, then the approval rule) → approved by a
second admin when it is above the workspace's threshold
(``export_approve``) → built by the job
(``export_build``: rows read in batches by primary key, each batch through
the purpose gate, the file written, sealed and hashed as it goes, the
progress recorded per batch) → downloaded once by its requester
(``export_download``) → gone: the file and its key are destroyed after the
download, or when the link expires (``exports_expire``, hourly; the
retention target ``exports.files`` catches any the job missed).

What is never deleted: the ``Export`` row and its audit events — the
evidence of who exported what, for which purpose, how many rows, and the
SHA-256 of the file they received.

The step-up (S4) is the surfaces' part: the web views require a fresh one
(``accounts.stepup``), a token needs the ``export`` scope; the services are
where the policy, the gate and the approval rule are decided for both.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.contacts.selectors import preload_keys
from terabox_crm.context import system_context
from terabox_crm.core import guards, policy
from terabox_crm.core.models import Membership
from terabox_crm.crypto import keyring
from terabox_crm.exports import building, resources, tasks, writers
from terabox_crm.exports.models import (
    ACTIVE,
    BUILD_ATTEMPTS,
    FAILURES,
    LINK_VALID_FOR,
    Export,
    ExportSettings,
    Format,
    Status,
)
from terabox_crm.inventory import Category
from terabox_crm.privacy import gate
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import Purpose
from terabox_crm.refusals import Refusal, recorded_after_rollback, security_event, within_budget

logger = logging.getLogger(__name__)

CHANNEL = "exports"
RECIPIENT_MAX = 200
# The categories of data an export for a third party provides (P4).
CATEGORIES = {
    "contacts": (Category.IDENTITY, Category.CONTACT),
    "companies": (Category.IDENTITY, Category.CONTACT),
    "deals": (Category.IDENTITY, Category.ACTIVITY),
    "tickets": (Category.IDENTITY, Category.COMMUNICATION),
    "activities": (Category.IDENTITY, Category.ACTIVITY),
}


# --- Settings ---------------------------------------------------------------------------


def settings_of(workspace_id) -> ExportSettings:
    with scope(workspace=workspace_id):
        found, _created = ExportSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


@recorded_after_rollback
@transaction.atomic
def settings_change(*, membership: Membership, approval_threshold) -> ExportSettings:
    """An owner sets the rows above which an export needs a second admin."""
    guards.require(membership, "exports.settings", membership.workspace)
    try:
        threshold = int(approval_threshold)
    except (TypeError, ValueError):
        threshold = 0
    if not 1 <= threshold <= 100_000_000:
        raise Refusal(
            _("Enter a number of rows between 1 and 100,000,000."),
            code="invalid_threshold",
            field="approval_threshold",
        )
    current = settings_of(membership.workspace_id)
    before = current.approval_threshold
    current.approval_threshold = threshold
    with scope(workspace=membership.workspace_id):
        current.save(update_fields=["approval_threshold", "updated_at"])
    audit.record(
        "exports.settings.changed",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=current,
        payload={"approval_threshold": [before, threshold]},
    )
    return current


# --- Asking -----------------------------------------------------------------------------


@dataclass
class Preview:
    """What an export would hold now: the rows the list matches, and the ones
    the purpose gate leaves out, by reason (P3). ``complete`` is False when
    the count stopped at its ``limit`` (the export form's bounded preview)."""

    matched: int = 0
    excluded: Counter = field(default_factory=Counter)
    complete: bool = True

    @property
    def rows(self) -> int:
        return self.matched - sum(self.excluded.values())


def _count(
    workspace_id, found, selection, purpose: Purpose, *, limit=None, on_batch=None
) -> Preview:
    """The rows of ``selection`` and the gate's refusals by reason, in
    batches of ids (no decryption); ``on_batch(rows counted so far)`` after
    each batch. A search confirmed only after decryption (a name, an
    address) is counted by its blind-index candidates: the count after the
    build is exact."""
    result = Preview()
    own_rows = building.own_rows(found)
    for batch in resources.id_batches(selection.queryset, found.subject_field):
        if limit is not None and result.matched >= limit:
            result.complete = False
            break
        result.matched += len(batch)
        refused = building.check_batch(
            workspace_id, purpose, [s for _pk, s in batch], read_from_subjects=own_rows
        )
        if own_rows:
            # Each row is its own subject, once: count the refusals themselves.
            result.excluded.update(reason.code for reason in refused.values())
        elif refused:
            for _pk, subject in batch:
                reason = refused.get(subject) if subject is not None else None
                if reason is not None:
                    result.excluded[reason.code] += 1
        if on_batch is not None:
            on_batch(result.matched)
    return result


# The export form counts at most this many rows as it opens (a bounded wait in
# the web request); the export's job counts them all (``export_count``).
PREVIEW_LIMIT = 20_000


def preview(
    *,
    membership: Membership,
    resource: str,
    params,
    purpose,
    strict: bool = False,
    limit: int | None = None,
):
    """Count the rows and the gate's refusals by reason (``_count``), at most
    ``limit`` rows (then ``complete`` is False)."""
    found = resources.get(resource)
    guards.require(membership, "exports.create")
    guards.require(membership, found.permission)
    chosen = gate.purpose_for(membership.workspace_id, purpose)
    with scope(workspace=membership.workspace_id):
        selection = found.select(membership, params, strict=strict)
        return _count(membership.workspace_id, found, selection, chosen, limit=limit)


def _fields(found: resources.Resource, fields) -> list[str]:
    keys = [str(key) for key in (fields or [])]
    unknown = [key for key in keys if key not in found.column_keys()]
    if unknown:
        raise Refusal(
            _("Unknown column: %(names)s.") % {"names": ", ".join(unknown[:5])},
            code="invalid_fields",
            field="fields",
        )
    # In the resource's order, each once.
    return [key for key in found.column_keys() if key in keys] or found.column_keys()


@recorded_after_rollback
@transaction.atomic
def export_request(
    *,
    membership: Membership,
    resource: str,
    format: str,
    purpose,
    params=None,
    fields=None,
    recipient: str = "",
    channel: str = "web",
    strict: bool = False,
) -> Export:
    """Ask for an export of ``resource`` with the list's ``params``.

    Refused at once unless the policy allows exports and reading the list,
    the purpose exists and (``strict``, the API) the filters are the list's.
    The export is created "counting" and its job starts once this commits:
    it counts the rows through the purpose gate (``export_count``), then
    waits for a second admin above the workspace's threshold, else builds.
    The count is never made here: at a million rows it takes a minute."""
    found = resources.get(resource)
    if format not in Format.values:
        raise Refusal(
            _("Choose a format: CSV, XLSX or JSON."), code="invalid_format", field="format"
        )
    keys = _fields(found, fields)
    recipient = (recipient or "").strip()
    if len(recipient) > RECIPIENT_MAX:
        raise Refusal(
            _("Name the recipient in at most 200 characters."),
            code="too_long",
            field="recipient",
        )
    params = resources.clean_params(found, params or {})
    guards.require(membership, "exports.create")
    guards.require(membership, found.permission)
    chosen = gate.purpose_for(membership.workspace_id, purpose)
    with scope(workspace=membership.workspace_id):
        # The filters are checked now (a bad one is the asker's to correct);
        # the rows are read by the job.
        found.select(membership, params, strict=strict)
        item = Export.objects.create(
            workspace_id=membership.workspace_id,
            requested_by_id=membership.user_id,
            channel=channel,
            resource=found.code,
            format=format,
            filters=urlencode(params),
            fields=keys,
            purpose=chosen,
            recipient=recipient,
            status=Status.COUNTING,
        )
    audit.record(
        "exports.export.requested",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=item,
        payload={
            "resource": found.code,
            "format": format,
            "fields": keys,
            "purpose": chosen.code,
            "channel": channel,
            "third_party": bool(recipient),
        },
    )
    _enqueue(item)
    return item


def _count_failed(item: Export, error: BaseException, *, failure: str, counted=None) -> None:
    """The count could not be made or forbids the export: failed at once
    (nothing was written; a retry would count the same)."""
    if failure == "count_failed":
        logger.warning("export %s: the count failed", item.pk, exc_info=error)
    values = {"status": Status.FAILED, "failure": failure, "progress": 0}
    if counted is not None:
        values.update(matched=counted.matched, excluded_before=dict(counted.excluded))
    with transaction.atomic():
        claimed = Export.objects.filter(pk=item.pk, status=Status.COUNTING).update(
            finished_at=timezone.now(), **values
        )
        if claimed:
            audit.record(
                "exports.export.failed",
                actor=None,
                workspace=item.workspace_id,
                obj=item,
                payload={"attempts": 0, "failure": failure, "stage": "count"},
            )


def export_count(export_id) -> Export | None:
    """Count an export's rows through the purpose gate (the job's first step):
    how many the list matches and whom the gate leaves out, by reason (P3,
    shown to the requester and audited as ``exports.export.counted``), then
    the approval rule (S4): above the workspace's threshold the export waits
    for a second admin, else it is queued for ``export_build``. The progress
    shows the rows counted so far. None unless the export was counting."""
    with scopes_disabled():
        item = (
            Export.objects.select_related("purpose", "requested_by")
            .filter(pk=export_id, status=Status.COUNTING)
            .first()
        )
        if item is None:
            return None
        started = time.perf_counter()
        counted = None
        try:
            membership = _requester(item)
            if membership is None:
                raise Refusal(_("Not found."), code="requester_gone", status=404)
            found = resources.get(item.resource)
            guards.require(membership, "exports.create")
            guards.require(membership, found.permission)
            with scope(workspace=item.workspace_id):
                selection = found.select(membership, dict(parse_qsl(item.filters)), strict=False)
                counted = _count(
                    item.workspace_id,
                    found,
                    selection,
                    item.purpose,
                    on_batch=lambda rows: Export.objects.filter(
                        pk=item.pk, status=Status.COUNTING
                    ).update(progress=rows, touched_at=timezone.now()),
                )
            if item.format == Format.XLSX and counted.rows > writers.XLSX_MAX_ROWS:
                raise writers.TooManyRows(counted.rows)
        except Refusal as error:
            failure = error.code if error.code in FAILURES else "count_failed"
            _count_failed(item, error, failure=failure)
            return _fresh(item)
        except writers.TooManyRows as error:
            _count_failed(item, error, failure="too_many_rows", counted=counted)
            return _fresh(item)
        except Exception as error:
            _count_failed(item, error, failure="count_failed")
            return _fresh(item)
        threshold = settings_of(item.workspace_id).approval_threshold
        needs_approval = counted.rows > threshold
        with transaction.atomic():
            claimed = Export.objects.filter(pk=item.pk, status=Status.COUNTING).update(
                status=Status.AWAITING_APPROVAL if needs_approval else Status.QUEUED,
                matched=counted.matched,
                excluded_before=dict(counted.excluded),
                approval_required=needs_approval,
                progress=0,
                touched_at=timezone.now(),
            )
            if not claimed:
                return None
            audit.record(
                "exports.export.counted",
                actor=item.requested_by_id,
                workspace=item.workspace_id,
                obj=item,
                payload={
                    "matched": counted.matched,
                    "excluded": dict(counted.excluded),
                    "approval_required": needs_approval,
                    "threshold": threshold,
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
        return _fresh(item)


def _fresh(item: Export) -> Export:
    with scopes_disabled():
        return Export.objects.select_related("purpose", "requested_by").get(pk=item.pk)


def _enqueue(item: Export) -> None:
    export_id = str(item.pk)
    transaction.on_commit(lambda: tasks.build_export(export_id))


def _locked(membership: Membership, export_id, *, action: str) -> Export:
    """The export, locked, if ``membership`` may see it; else a 404, recorded."""
    with scope(workspace=membership.workspace_id):
        item = (
            Export.objects.select_for_update()
            .filter(pk=export_id, workspace_id=membership.workspace_id)
            .first()
        )
    if item is None or not policy.can(membership, "exports.view", item):
        raise guards.refusal(
            membership, action, message=_("Not found."), code="not_found", status=404
        )
    return item


@recorded_after_rollback
@transaction.atomic
def export_approve(*, membership: Membership, export_id) -> Export:
    """A second admin approves an export above the threshold; the requester
    never approves their own (refused and put on record, S4)."""
    item = _locked(membership, export_id, action="exports.approve")
    guards.require(membership, "exports.approve", item)
    if item.status != Status.AWAITING_APPROVAL:
        raise Refusal(
            _("This export is not waiting for approval."), code="not_awaiting", status=409
        )
    if str(item.requested_by_id) == str(membership.user_id):
        raise Refusal(
            _("You cannot approve your own export: another admin must approve it."),
            code="own_export",
            status=403,
            action="exports.approve",
            audit_event=security_event(
                "security.export.approval_refused",
                actor=membership.user_id,
                workspace=membership.workspace_id,
                attempted="exports.approve",
                reason="own_export",
                obj=item,
            ),
        )
    now = timezone.now()
    item.status = Status.QUEUED
    item.approved_by_id = membership.user_id
    item.approved_at = item.touched_at = now
    with scope(workspace=item.workspace_id):
        item.save(update_fields=["status", "approved_by", "approved_at", "touched_at"])
    audit.record(
        "exports.export.approved",
        actor=membership.user_id,
        workspace=item.workspace_id,
        obj=item,
        payload={"requested_by": str(item.requested_by_id), "rows": item.matched},
    )
    _enqueue(item)
    return item


# --- Building (a job) -------------------------------------------------------------------


class BuildRetry(Exception):
    """An attempt failed and another is due: the job queue runs it later."""


def _requester(item: Export) -> Membership | None:
    """The requester's membership as it is now: an export is built with the
    rights they have when it runs, not those they had when they asked."""
    with scope(workspace=item.workspace_id):
        return (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace_id=item.workspace_id, user_id=item.requested_by_id)
            .first()
        )


def _log_refusals(item: Export, purpose: Purpose, run: building.Run) -> None:
    """The gate's refusals of this export as one ``privacy.gate.refused``
    event (what ``gate.log_refusals`` writes for one check), with the counts
    of the whole run and the first ids."""
    if not run.excluded:
        return
    key = f"privacy:gate:{item.workspace_id}:{purpose.code}:{CHANNEL}"
    if not within_budget(key, limit=gate.REFUSALS_RECORDED, window=gate.REFUSAL_WINDOW):
        return
    audit.record(
        gate.REFUSED_ACTION,
        actor=item.requested_by_id,
        workspace=item.workspace_id,
        object_type="privacy.purpose",
        object_id=str(purpose.pk),
        payload={
            "purpose": purpose.code,
            "channel": CHANNEL,
            "export": str(item.pk),
            "refused": sum(run.excluded.values()),
            "allowed": run.rows,
            "reasons": dict(run.excluded),
            "subjects": run.refused,
        },
    )


def _failed(item: Export, error: BaseException) -> bool:
    """Record a failed attempt; True when it was the last one (nothing
    half-written stays: ``writers.write`` destroyed the file and key)."""
    # A refusal (the requester lost the right to export) or a sheet too
    # small will not change on a retry.
    final = item.attempts >= BUILD_ATTEMPTS or isinstance(error, Refusal | writers.TooManyRows)
    failure = "too_many_rows" if isinstance(error, writers.TooManyRows) else "build_failed"
    if isinstance(error, Refusal):
        failure = error.code
    logger.warning(
        "export %s: attempt %d of %d failed", item.pk, item.attempts, BUILD_ATTEMPTS, exc_info=error
    )
    with transaction.atomic():
        Export.objects.filter(pk=item.pk).update(
            status=Status.FAILED if final else Status.QUEUED,
            failure=failure,
            progress=0,
            finished_at=timezone.now() if final else None,
            touched_at=timezone.now(),
        )
        if final:
            audit.record(
                "exports.export.failed",
                actor=None,
                workspace=item.workspace_id,
                obj=item,
                payload={"attempts": item.attempts, "failure": failure},
            )
    return final


@contextmanager
def _young_objects_only():
    """The build's garbage collections scan only what the build allocates.

    A build allocates a few container objects per row (millions at 1M
    rows), so the collector runs thousands of times, and each full
    collection walked the whole process (Django, the app, the keys): about
    a tenth of the build's CPU (docs/performance.md, Guarded export).
    ``gc.freeze`` sets what exists before the build aside for its duration;
    cycles the build makes are still collected, so memory stays flat, and
    ``gc.unfreeze`` gives the rest back to the collector afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# The page cache of an export job's connection on SQLite, in MiB. A count
# and a build read each page once, in primary-key order: the installation's
# cache (CRM_SQLITE_CACHE_MB, 64 by default, sized for lookups) would fill
# with pages the job never reads again. Measured in a real worker building a
# 1M-contact export (bench/export_worker.py): its heap peaked at 152.9 MB
# (+77.6) with the installation's cache, 94.5 MB (+19.2) with 8 MiB, and
# the file was ready a second sooner (docs/performance.md, Guarded export).
# 2 MiB, SQLite's own default, holds the few index pages a key-ordered read
# returns to; it took 5-9 MB off the job's heap and 4-5 MB off each
# helper's (the same cache there) at no cost in rows per second
# (docs/performance.md, "Two processes under 150 MB together").
JOB_SQLITE_CACHE_MB = 2


@contextmanager
def job_page_cache():
    """An export job's connection with a small SQLite page cache, its own
    size given back after (shrinking it also frees what another job left
    there). Nothing on PostgreSQL: its buffers are the server's."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{JOB_SQLITE_CACHE_MB * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")  # nosec B608  # an int read above


@contextmanager
def planned(item: Export, membership: Membership) -> Iterator[building.Plan]:
    """What a build of ``item`` reads, with the requester's rights checked
    again, in the requester's language and the export's workspace."""
    found = resources.get(item.resource)
    guards.require(membership, "exports.create")
    guards.require(membership, found.permission)
    language = getattr(item.requested_by, "language", "") or translation.get_language()
    with translation.override(language), scope(workspace=item.workspace_id):
        preload_keys(item.workspace_id)
        selection = found.select(membership, dict(parse_qsl(item.filters)), strict=False)
        yield building.Plan(item, found, selection, found.columns_for(item.fields))


def _write(plan: building.Plan, run: building.Run) -> tuple[str, int, str]:
    """The sealed file, by this process alone or with helper processes
    (``building``): the same bytes either way."""
    item = plan.item
    processes = building.processes_for(item)
    if processes <= 1:
        return writers.write(item.pk, item.format, plan.labels, plan.keys, building.rows(plan, run))
    helpers = building.start_helpers(item, processes - 1)
    try:
        return writers.write_body(
            item.pk, item.format, plan.labels, building.body(plan, run, helpers=helpers)
        )
    finally:
        building.stop_helpers(helpers)


@contextmanager
def helper_plan(export_id) -> Iterator[building.Plan]:
    """A helper process's plan of an export being built (``building.main``):
    the export must be running, its requester's rights are checked again,
    and the helper reads as the job does (its page cache, its collector)."""
    with system_context("job"), job_page_cache(), scopes_disabled():
        item = Export.objects.select_related("purpose", "requested_by").get(
            pk=export_id, status=Status.RUNNING
        )
        membership = _requester(item)
        if membership is None:
            raise Refusal(_("Not found."), code="requester_gone", status=404)
        with planned(item, membership) as plan, _young_objects_only():
            yield plan


def export_build(export_id) -> Export | None:
    """Build the file of a queued export (the job). The row says "ready"
    only once the file is complete, so a crash leaves it queued for the
    queue's retry."""
    with scopes_disabled():
        claimed = Export.objects.filter(pk=export_id, status=Status.QUEUED).update(
            status=Status.RUNNING, attempts=F("attempts") + 1, progress=0, touched_at=timezone.now()
        )
        if not claimed:
            return None
        item = Export.objects.select_related("purpose", "requested_by").get(pk=export_id)
        membership = _requester(item)
        try:
            if membership is None:
                raise Refusal(_("Not found."), code="requester_gone", status=404)
            run = building.Run()
            with planned(item, membership) as plan, _young_objects_only():
                key_id, size, digest = _write(plan, run)
        except Exception as error:
            if _failed(item, error):
                item.refresh_from_db()
                return item
            raise BuildRetry(str(item.pk)) from error
        now = timezone.now()
        with transaction.atomic():
            item.status = Status.READY
            item.rows = run.rows
            item.excluded = dict(run.excluded)
            item.progress = run.read
            item.sha256 = digest
            item.size = size
            item.key_id = key_id
            item.failure = ""
            item.finished_at = now
            item.expires_at = now + LINK_VALID_FOR
            item.save(
                update_fields=[
                    "status",
                    "rows",
                    "excluded",
                    "progress",
                    "sha256",
                    "size",
                    "key_id",
                    "failure",
                    "finished_at",
                    "expires_at",
                ]
            )
            _log_refusals(item, item.purpose, run)
            if item.recipient and run.provided:
                privacy.provision_record(
                    workspace=item.workspace_id,
                    recipient=item.recipient,
                    subject_ids=run.provided,
                    categories=CATEGORIES[item.resource],
                    channel="export",
                    reference=str(item.pk),
                    purpose=item.purpose.code,
                    actor=item.requested_by_id,
                )
            audit.record(
                "exports.export.completed",
                actor=item.requested_by_id,
                workspace=item.workspace_id,
                obj=item,
                payload={
                    "resource": item.resource,
                    "format": item.format,
                    "rows": run.rows,
                    "fields": list(item.fields),
                    "purpose": item.purpose.code,
                    "excluded": dict(run.excluded),
                    "sha256": digest,
                    "bytes": size,
                    "third_party": bool(item.recipient),
                },
            )
    return item


# --- Downloading and expiry -------------------------------------------------------------

# Lazy: module constants are read in the language of each request, not of the import.
LINK_USED = gettext_lazy(
    "This export was downloaded already: a file is handed out once. Export again."
)
LINK_EXPIRED = gettext_lazy(
    "This export's link has expired and its file was deleted. Export again."
)


def _download_refused(membership: Membership, item: Export, *, message, code: str) -> Refusal:
    return Refusal(
        message,
        code=code,
        status=410,
        action="exports.download",
        audit_event=security_event(
            "security.export.download_refused",
            actor=membership.user_id,
            workspace=membership.workspace_id,
            attempted="exports.download",
            reason=code,
            obj=item,
        ),
    )


@recorded_after_rollback
@transaction.atomic
def export_download(*, membership: Membership, export_id) -> Export:
    """Hand the file out once, to its requester, while the link is valid.

    Marks it downloaded and audits it (S5: a bulk read of personal data); the
    caller streams it and then destroys it (``export_discard``). A second
    download or an expired link is refused with a security event, nothing
    changed."""
    item = _locked(membership, export_id, action="exports.download")
    if str(item.requested_by_id) != str(membership.user_id):
        raise guards.refusal(
            membership,
            "exports.download",
            item,
            message=_("Only the member who asked for an export can download it."),
            code="not_requester",
        )
    now = timezone.now()
    if item.status == Status.DOWNLOADED:
        raise _download_refused(membership, item, message=LINK_USED, code="already_downloaded")
    if item.status == Status.EXPIRED or (
        item.status == Status.READY and (item.expires_at is None or item.expires_at <= now)
    ):
        raise _download_refused(membership, item, message=LINK_EXPIRED, code="link_expired")
    if item.status != Status.READY:
        raise Refusal(_("This export is not ready yet."), code="export_not_ready", status=409)
    item.status = Status.DOWNLOADED
    item.downloaded_at = now
    with scope(workspace=item.workspace_id):
        item.save(update_fields=["status", "downloaded_at"])
    audit.record(
        "exports.export.downloaded",
        actor=membership.user_id,
        workspace=item.workspace_id,
        obj=item,
        payload={"rows": item.rows, "sha256": item.sha256, "format": item.format},
    )
    return item


def export_stream(item: Export):
    """The downloaded file's bytes; the file and its key are destroyed when
    the stream ends, completed or not (one download)."""
    try:
        yield from writers.chunks(item.pk, item.key_id)
    finally:
        export_discard(item)


def export_discard(item: Export) -> None:
    writers.destroy(item.pk, item.key_id)
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(key_id="")


# An active export whose job gave no sign of life for this long lost it: a
# batch takes well under a second, a count writes its progress every 5,000
# ids, and a queued job waits behind others for minutes at most.
LOST_AFTER = timedelta(minutes=10)


def exports_resume_lost(now=None) -> int:
    """Resume the exports whose job was lost (the periodic job): a worker
    killed or restarted mid-job leaves its export counting, queued or being
    prepared, and the job queue does not run a job again once it was taken.

    Counting or queued: the job is queued again (its first step claims the
    export, so a job that was only late does nothing twice). Being prepared:
    the half-written file and its key are destroyed, and the build is queued
    again as a retry (attempts counted), or failed after the last one.
    Audited as ``exports.export.resumed`` or ``exports.export.failed``."""
    now = now or timezone.now()
    silent_since = now - LOST_AFTER
    with scopes_disabled():
        lost = list(
            Export.objects.filter(status__in=ACTIVE)
            .annotate(last_sign=Coalesce("touched_at", "approved_at", "created_at"))
            .filter(last_sign__lt=silent_since)
            .order_by("last_sign")[:100]
        )
    resumed = 0
    for item in lost:
        with transaction.atomic(), scopes_disabled():
            final = item.status == Status.RUNNING and item.attempts >= BUILD_ATTEMPTS
            values = {"touched_at": now, "progress": 0}
            if item.status == Status.RUNNING:
                values.update(
                    status=Status.FAILED if final else Status.QUEUED,
                    failure="build_failed" if final else "",
                    finished_at=now if final else None,
                )
            claimed = Export.objects.filter(
                pk=item.pk, status=item.status, touched_at=item.touched_at
            ).update(**values)
            if not claimed:
                continue  # it moved meanwhile: its job is alive
            if item.status == Status.RUNNING:
                writers.destroy(item.pk, "")
                keyring.destroy_scope(writers.key_scope(item.pk))
            audit.record(
                "exports.export.failed" if final else "exports.export.resumed",
                actor=None,
                workspace=item.workspace_id,
                obj=item,
                payload={"status": item.status, "attempts": item.attempts}
                | ({"failure": "build_failed"} if final else {}),
            )
            if not final:
                _enqueue(item)
                resumed += 1
    return resumed


def exports_expire(now=None, *, workspace_id=None, ids=None) -> int:
    """Delete the files of exports whose link expired and destroy their keys
    (hourly job; the retention target passes its batch). The rows stay."""
    now = now or timezone.now()
    with scopes_disabled():
        due = Export.objects.filter(status=Status.READY, expires_at__lte=now)
        if workspace_id is not None:
            due = due.filter(workspace_id=workspace_id)
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        rows = list(due.values_list("pk", "workspace_id", "key_id")[:1000])
    for export_id, workspace, key_id in rows:
        with transaction.atomic():
            writers.destroy(export_id, key_id)
            with scopes_disabled():
                Export.objects.filter(pk=export_id).update(status=Status.EXPIRED, key_id="")
            audit.record(
                "exports.export.expired",
                actor=None,
                workspace=workspace,
                object_type="exports.export",
                object_id=str(export_id),
            )
    return len(rows)
