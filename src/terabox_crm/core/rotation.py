"""Data-key rotation: a new active key per scope, then every encrypted column
of every row of that scope re-encrypted under it, in batches (S3).

``start_rotation`` creates the key (the old one becomes decrypt-only,
``keyring.create_key``), a ``RotationJob`` and the audit event in one
transaction. ``run_rotation`` re-encrypts: for each model that has
``EncryptedTextField`` columns (found through ``django.apps`` at run time, so
apps added later are covered without a change here) it selects, in primary-key
order after the job's cursor, rows whose stored text names one of the old key
ids (``v1:{key_id}:…`` — key ids are unique across scopes, so this also
selects exactly the scope's rows), and rewrites up to ``batch_size`` of them per
transaction. The cursor is saved in the same transaction as the batch, so an
interrupted run (crash, worker restart, ``max_batches``) resumes after the
last committed batch.

Each row is rewritten with a compare-and-swap ``UPDATE … WHERE pk = … AND
column = <old ciphertext>``: a row a user changed meanwhile (already under
the new key) is left alone and counted as skipped. The job only ends ``done``
after a final count finds no row of the scope naming an old key; otherwise a
rerun picks the stragglers up (a process still writing with a cached old key,
see ``keyring.ACTIVE_RECHECK_SECONDS``).

``rotate`` runs a rotation in the calling process (the CLI);
``rotate_in_background`` hands it to the job worker (``tasks.run_rotation``),
and the periodic ``tasks.resume_stalled_rotations`` continues a running job
that nobody advanced for ``STALLED_AFTER`` (its worker restarted).

Blind-index (``index``) keys and subject scopes are not rotated:
docs/decisions/0005-blind-index-leakage.md.

Rotation lives in core, above the crypto engine and the audit trail it
records to (docs/architecture.md): crypto keeps the keys and the fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.audit.models import AuditDetail
from terabox_crm.core.models import Workspace
from terabox_crm.crypto import keyring
from terabox_crm.crypto.fields import PREFIX, DecryptionError, EncryptedTextField, key_id_of
from terabox_crm.crypto.models import DataKey, RotationJob

log = logging.getLogger(__name__)

DEFAULT_BATCH = 1000
# Full passes over the models before giving up on rows that another process
# keeps writing under an old key (it rereads the active key within a minute).
MAX_PASSES = 3

Progress = Callable[[int, int], None]  # (rows done so far, rows expected in total)


class RotationError(ValueError):
    """A rotation that cannot be started (unknown or unsupported scope)."""


@dataclass(frozen=True)
class EncryptedModel:
    model: type[models.Model]
    fields: tuple[EncryptedTextField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def manager(self) -> models.Manager:
        # The base manager: tenant models' scoped managers refuse unscoped
        # queries, and rotation works across a whole scope by design.
        return self.model._base_manager


def encrypted_models() -> list[EncryptedModel]:
    """Every concrete model with at least one ``EncryptedTextField``, by label.

    A model whose table does not exist (an app installed but not migrated
    yet) holds no ciphertext and is left out rather than failing the run.
    """
    found = []
    tables: dict[str, set[str]] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        alias = router.db_for_write(model)
        if alias not in tables:
            tables[alias] = set(connections[alias].introspection.table_names())
        if meta.db_table not in tables[alias]:
            continue
        fields = tuple(f for f in meta.concrete_fields if isinstance(f, EncryptedTextField))
        if fields:
            found.append(EncryptedModel(model, fields))
    return sorted(found, key=lambda item: item.label)


def _names_key(item: EncryptedModel, key_ids: list[str]) -> Q:
    """Rows where any encrypted column names one of ``key_ids``."""
    condition = Q()
    for field in item.fields:
        for key_id in key_ids:
            condition |= Q(**{f"{field.attname}__startswith": f"{PREFIX}:{key_id}:"})
    return condition


def rows_naming(key_ids: list[str], *, item: EncryptedModel | None = None) -> int:
    """How many rows (of one model, or of all) still name one of ``key_ids``."""
    if not key_ids:
        return 0
    items = [item] if item is not None else encrypted_models()
    with scopes_disabled():
        return sum(each.manager.filter(_names_key(each, key_ids)).count() for each in items)


def old_key_ids(scope: str) -> list[str]:
    """The scope's decrypt-only encryption keys: what rotation moves data away from."""
    return sorted(
        DataKey.objects.filter(
            scope=scope,
            purpose=DataKey.Purpose.ENCRYPTION,
            status=DataKey.Status.DECRYPT_ONLY,
        ).values_list("key_id", flat=True)
    )


def _workspace_of(scope: str):
    if scope == keyring.SYSTEM_SCOPE:
        return None
    return Workspace.objects.filter(pk=scope).first()


def resolve_scope(name: str) -> str:
    """``system``, a workspace id or a workspace slug → a key scope.

    Subject scopes (one person's crypto-shredding key) are refused: the audit
    trail's sealed details name those keys and cannot be rewritten without
    breaking the hash chain (docs/decisions/0005-blind-index-leakage.md).
    """
    if name == keyring.SYSTEM_SCOPE:
        return name
    if name.startswith("subject:"):
        raise RotationError("subject scopes are not rotated (the audit trail names their keys)")
    workspace = Workspace.objects.filter(slug=name).first()
    if workspace is None:
        try:
            workspace = Workspace.objects.filter(pk=name).first()
        except Exception:  # not a UUID: Django raises ValidationError on the lookup
            workspace = None
    if workspace is None:
        raise RotationError(f"no workspace {name!r}")
    return str(workspace.pk)


def all_workspace_scopes() -> list[str]:
    return [str(pk) for pk in Workspace.objects.order_by("pk").values_list("pk", flat=True)]


def unfinished_job(scope: str) -> RotationJob | None:
    return (
        RotationJob.objects.filter(scope=scope)
        .exclude(state=RotationJob.State.DONE)
        .order_by("started_at")
        .first()
    )


def start_rotation(*, actor=None, scope: str) -> RotationJob:
    """Make a new active key for ``scope`` and the job that re-encrypts its rows.

    When an earlier rotation of the scope has not finished, that job is
    returned instead: a rerun resumes it rather than adding yet another key.
    """
    job = unfinished_job(scope)
    if job is not None:
        return job
    workspace = _workspace_of(scope)
    if scope != keyring.SYSTEM_SCOPE and workspace is None:
        raise RotationError(f"no workspace {scope!r}")
    with transaction.atomic():
        previous = list(
            DataKey.objects.filter(
                scope=scope, purpose=DataKey.Purpose.ENCRYPTION, status=DataKey.Status.ACTIVE
            ).values_list("key_id", flat=True)
        )
        new_key = keyring.create_key(scope, DataKey.Purpose.ENCRYPTION)
        job = RotationJob.objects.create(
            scope=scope, new_key_id=new_key.key_id, old_key_ids=old_key_ids(scope)
        )
        audit.record(
            "crypto.keys.rotated",
            actor=actor,
            workspace=workspace,
            object_type="crypto.datakey",
            object_id=new_key.key_id,
            payload={
                "scope": "system" if workspace is None else "workspace",
                "retired_key_ids": previous,
                "job": str(job.pk),
            },
        )
    return job


def _rewrite_batch(job: RotationJob, item: EncryptedModel, batch_size: int) -> int:
    """Re-encrypt up to ``batch_size`` rows after the cursor; return how many were read."""
    old = set(job.old_key_ids)
    # The job's own key, not whatever this process has cached as active.
    new_key = keyring.get_key(job.new_key_id)
    state = job.progress.get(item.label) or {"cursor": None, "done": False}
    queryset = item.manager.filter(_names_key(item, job.old_key_ids))
    if state["cursor"] is not None:
        queryset = queryset.filter(pk__gt=state["cursor"])
    with transaction.atomic():
        rows = list(queryset.order_by("pk")[:batch_size])
        done = skipped = 0
        for row in rows:
            before, after = {}, {}
            try:
                for field in item.fields:
                    token = field.stored_value(row)
                    if not token or key_id_of(str(token)) not in old:
                        continue
                    plaintext = field.decrypt_for(row, str(token))
                    before[field.attname] = str(token)
                    after[field.attname] = field.encrypt_for(row, plaintext, key=new_key)
            except DecryptionError:
                # Tampered or moved: re-encrypting would launder it. Leave it
                # failing, and name it (label and pk only) for the operator.
                marker = f"{item.label}:{row.pk}"
                if marker not in job.unreadable:
                    job.unreadable = [*job.unreadable, marker]
                    log.warning("rotation %s: %s fails authentication; left as is", job.pk, marker)
                skipped += 1
                continue
            changed = item.manager.filter(pk=row.pk, **before).update(**after) if after else 0
            if changed:
                done += 1
            else:
                skipped += 1
        if rows:
            state["cursor"] = str(rows[-1].pk)
        if len(rows) < batch_size:
            state["done"] = True
        job.progress = {**job.progress, item.label: state}
        job.rows_done += done
        job.rows_skipped += skipped
        job.batches += 1 if rows else 0
        job.save(
            update_fields=[
                "progress",
                "rows_done",
                "rows_skipped",
                "batches",
                "unreadable",
                "updated_at",
            ]
        )
    return len(rows)


def remaining(job: RotationJob) -> int:
    """Rows still to visit: those naming an old key after each model's cursor."""
    if not job.old_key_ids:
        return 0
    total = 0
    with scopes_disabled():
        for item in encrypted_models():
            state = job.progress.get(item.label) or {"cursor": None, "done": False}
            if state["done"]:
                continue
            queryset = item.manager.filter(_names_key(item, job.old_key_ids))
            if state["cursor"] is not None:
                queryset = queryset.filter(pk__gt=state["cursor"])
            total += queryset.count()
    return total


def run_rotation(
    job: RotationJob,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> RotationJob:
    """Re-encrypt the job's scope from where it stopped; ``max_batches`` stops
    early (the job stays ``running`` and the next call resumes it)."""
    if job.state == RotationJob.State.DONE:
        return job
    if batch_size < 1:
        raise RotationError("batch size must be at least 1")
    batches = 0
    try:
        for _attempt in range(MAX_PASSES):
            expected = job.rows_done + job.rows_skipped + remaining(job)
            if progress:
                progress(job.rows_done + job.rows_skipped, expected)
            with scopes_disabled():
                for item in encrypted_models():
                    while job.old_key_ids and not (job.progress.get(item.label) or {}).get("done"):
                        if max_batches is not None and batches >= max_batches:
                            return job
                        if _rewrite_batch(job, item, batch_size):
                            batches += 1
                        if progress:
                            progress(job.rows_done + job.rows_skipped, expected)
            left = rows_naming(job.old_key_ids) - len(job.unreadable)
            if left <= 0:
                break
            # Rows written under an old key while we ran: go over the models again.
            log.warning("rotation %s: %d row(s) still name an old key; another pass", job.pk, left)
            job.progress = {}
            job.save(update_fields=["progress", "updated_at"])
        else:
            return job  # still running: a rerun continues
    except Exception as exc:
        # The error's type only: its text may quote a value.
        RotationJob.objects.filter(pk=job.pk).update(
            state=RotationJob.State.FAILED, error=type(exc).__name__[:200]
        )
        raise
    with transaction.atomic():
        job.state = RotationJob.State.DONE
        job.finished_at = timezone.now()
        job.error = ""
        job.save(update_fields=["state", "finished_at", "error", "updated_at"])
        audit.record(
            "crypto.keys.reencrypted",
            workspace=_workspace_of(job.scope),
            object_type="crypto.datakey",
            object_id=job.new_key_id,
            payload={
                "job": str(job.pk),
                "rows": job.rows_done,
                "skipped": job.rows_skipped,
                "batches": job.batches,
                "unreadable": len(job.unreadable),
            },
        )
    return job


# A running job whose progress has not moved for this long lost its runner
# (a worker restarted, a terminal closed): a batch takes well under a second.
STALLED_AFTER = timedelta(minutes=10)


def stalled_jobs() -> list[RotationJob]:
    """Running rotations nobody has advanced for ``STALLED_AFTER``."""
    return list(
        RotationJob.objects.filter(
            state=RotationJob.State.RUNNING, updated_at__lt=timezone.now() - STALLED_AFTER
        ).order_by("started_at")
    )


def resume_stalled(*, batch_size: int = DEFAULT_BATCH) -> int:
    """Continue every stalled rotation to its end (the worker's periodic job)."""
    resumed = 0
    for job in stalled_jobs():
        run_rotation(job, batch_size=batch_size)
        resumed += 1
    return resumed


def rotate_in_background(*, actor=None, scope: str, batch_size: int = DEFAULT_BATCH) -> RotationJob:
    """Start (or find the unfinished) rotation of ``scope`` and hand the
    re-encryption to the job worker once the new key is committed."""
    from terabox_crm.core import tasks  # tasks imports this module

    with transaction.atomic():
        job = start_rotation(actor=actor, scope=scope)
        job_id = str(job.pk)
        transaction.on_commit(lambda: tasks.run_rotation(job_id, batch_size=batch_size))
    return job


def rotate(
    *,
    actor=None,
    scope: str,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> RotationJob:
    """Start (or resume) the rotation of ``scope`` and run it."""
    job = start_rotation(actor=actor, scope=scope)
    if job.state == RotationJob.State.FAILED:
        job.state = RotationJob.State.RUNNING
        job.save(update_fields=["state", "updated_at"])
    return run_rotation(job, batch_size=batch_size, max_batches=max_batches, progress=progress)


def _named_elsewhere(key_id: str) -> bool:
    """Sealed audit details carry their key id in a column of their own."""
    return AuditDetail.objects.filter(key_id=key_id).exists()


def destroy_unused_keys(*, actor=None, scope: str, retired_before_days) -> tuple[list, list]:
    """Destroy the scope's decrypt-only keys that nothing names any more.

    A key is destroyed only when a finished rotation retired it more than
    ``retired_before_days`` (a ``timedelta``) ago — a backup taken before the
    rotation still needs it until that backup expires — and no row, sealed
    audit detail or unfinished rotation names it. Returns ``(destroyed key
    ids, [(kept key id, reason)])``.
    """
    if unfinished_job(scope) is not None:
        return [], [
            (key_id, "a rotation of this scope is unfinished") for key_id in old_key_ids(scope)
        ]
    cutoff = timezone.now() - retired_before_days
    retired_at: dict[str, object] = {}
    for job in RotationJob.objects.filter(scope=scope, state=RotationJob.State.DONE):
        for key_id in job.old_key_ids:
            if key_id not in retired_at or job.finished_at < retired_at[key_id]:
                retired_at[key_id] = job.finished_at
    destroyed, kept = [], []
    for key_id in old_key_ids(scope):
        if key_id not in retired_at:
            kept.append((key_id, "no finished rotation retired it"))
        elif retired_at[key_id] > cutoff:
            kept.append((key_id, "retired too recently (backups may still need it)"))
        elif rows_naming([key_id]) or _named_elsewhere(key_id):
            kept.append((key_id, "rows still name it"))
        else:
            with transaction.atomic():
                keyring.destroy_key(key_id)
                audit.record(
                    "crypto.keys.destroyed",
                    actor=actor,
                    workspace=_workspace_of(scope),
                    object_type="crypto.datakey",
                    object_id=key_id,
                    payload={"scope": "system" if scope == keyring.SYSTEM_SCOPE else "workspace"},
                )
            destroyed.append(key_id)
    return destroyed, kept
