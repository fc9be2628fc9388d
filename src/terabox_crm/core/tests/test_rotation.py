"""Key rotation (S3): a new key per scope, every encrypted row rewritten under
it in resumable batches, other scopes untouched, ciphertexts still bound to
their row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core import rotation, tasks
from terabox_crm.core.models import Invitation
from terabox_crm.crypto import keyring
from terabox_crm.crypto.fields import PREFIX, DecryptionError
from terabox_crm.crypto.models import DataKey, RotationJob
from terabox_crm.testing import factories


def _stored(model, pk, column):
    with scopes_disabled():
        return model._base_manager.filter(pk=pk).values_list(column, flat=True).get()


def _key_ids_in(model, column, **filters):
    with scopes_disabled():
        values = model._base_manager.filter(**filters).values_list(column, flat=True)
        return {value.split(":", 2)[1] for value in values if value}


def _fresh_read(model, pk, field):
    keyring.reset_cache()  # read through the database, as another process would
    with scopes_disabled():
        return getattr(model._base_manager.get(pk=pk), field)


@pytest.fixture
def invitations(cast):
    acme = [factories.make_invitation(cast.acme, f"guest{n}@acme.example")[0] for n in range(3)]
    globex = factories.make_invitation(cast.globex, "guest@globex.example")[0]
    return acme, globex


def test_encrypted_models_are_discovered_from_the_app_registry(db):
    labels = {item.label: {f.name for f in item.fields} for item in rotation.encrypted_models()}
    assert {"email", "display_name"} <= labels["accounts.User"]
    assert labels["core.Invitation"] == {"email"}
    assert "communications.OutboxEmail" in labels


def test_rotating_the_system_scope_rewrites_every_user_row(cast):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    emails = {user.pk: user.email for user in User.objects.all()}

    job = rotation.rotate(scope=keyring.SYSTEM_SCOPE, batch_size=2)

    assert job.state == RotationJob.State.DONE
    assert job.old_key_ids == [old] and job.new_key_id != old
    assert rotation.rows_naming([old]) == 0
    assert _key_ids_in(User, "email") == {job.new_key_id}
    for pk, email in emails.items():
        assert _fresh_read(User, pk, "email") == email
    assert job.rows_done == len(emails) and job.batches >= 3
    status = DataKey.objects.get(key_id=old).status
    assert status == DataKey.Status.DECRYPT_ONLY
    events = list(
        AuditEvent.objects.filter(chain="system", action__startswith="crypto.keys.").order_by("seq")
    )
    assert [event.action for event in events] == ["crypto.keys.rotated", "crypto.keys.reencrypted"]
    assert events[0].payload["retired_key_ids"] == [old]
    assert events[1].payload["rows"] == len(emails)


def test_rotating_a_workspace_leaves_other_scopes_untouched(cast, invitations):
    acme_invites, globex_invite = invitations
    globex_before = _stored(Invitation, globex_invite.pk, "email")
    users_before = {
        pk: _stored(User, pk, "email") for pk in User.objects.values_list("pk", flat=True)
    }
    old = keyring.active_key(str(cast.acme.pk)).key_id

    job = rotation.rotate(scope=rotation.resolve_scope(cast.acme.slug))

    assert job.state == RotationJob.State.DONE
    assert _key_ids_in(Invitation, "email", workspace=cast.acme) == {job.new_key_id}
    assert rotation.rows_naming([old]) == 0
    for invite in acme_invites:
        assert _fresh_read(Invitation, invite.pk, "email") == invite.email
    assert _stored(Invitation, globex_invite.pk, "email") == globex_before
    assert {pk: _stored(User, pk, "email") for pk in users_before} == users_before
    # The event is on Acme's own chain.
    assert AuditEvent.objects.filter(chain=str(cast.acme.pk), action="crypto.keys.rotated").exists()


def test_an_interrupted_rotation_resumes_where_it_stopped(cast):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    total = rotation.rows_naming([old])

    job = rotation.rotate(scope=keyring.SYSTEM_SCOPE, batch_size=2, max_batches=1)

    assert job.state == RotationJob.State.RUNNING
    assert job.rows_done == 2 and rotation.rows_naming([old]) == total - 2
    cursor = job.progress["accounts.User"]["cursor"]
    assert cursor is not None and job.progress["accounts.User"]["done"] is False

    keyring.reset_cache()  # as after a crash: a new process picks the job up
    resumed = rotation.rotate(scope=keyring.SYSTEM_SCOPE, batch_size=2)

    assert resumed.pk == job.pk and resumed.new_key_id == job.new_key_id
    assert resumed.state == RotationJob.State.DONE and resumed.rows_done == total
    assert rotation.rows_naming([old]) == 0
    keys = DataKey.objects.filter(scope=keyring.SYSTEM_SCOPE, purpose="encryption")
    assert keys.count() == 2  # the rerun added no third key
    for user in User.objects.all():
        assert _fresh_read(User, user.pk, "email") == user.email


def test_a_worker_task_continues_a_started_job(cast):
    job = rotation.start_rotation(scope=keyring.SYSTEM_SCOPE)
    state = tasks.run_rotation.call_local(str(job.pk), batch_size=4)
    assert state == RotationJob.State.DONE
    assert rotation.rows_naming(job.old_key_ids) == 0


def test_a_rotation_can_run_in_the_job_worker(
    cast, invitations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = rotation.rotate_in_background(scope=str(cast.acme.pk), batch_size=2)
    job.refresh_from_db()
    assert job.state == RotationJob.State.DONE  # CRM_JOBS_IMMEDIATE in tests
    assert _key_ids_in(Invitation, "email", workspace=cast.acme) == {job.new_key_id}


def test_a_stalled_job_is_resumed_by_the_periodic_task(cast):
    job = rotation.rotate(scope=keyring.SYSTEM_SCOPE, batch_size=2, max_batches=1)
    assert tasks.resume_stalled_rotations.call_local() == 0  # still fresh: its runner may be alive
    RotationJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - rotation.STALLED_AFTER - timedelta(seconds=1)
    )
    assert tasks.resume_stalled_rotations.call_local() == 1
    job.refresh_from_db()
    assert job.state == RotationJob.State.DONE
    assert rotation.rows_naming(job.old_key_ids) == 0


def test_a_ciphertext_moved_to_another_row_still_fails_after_rotation(cast):
    rotation.rotate(scope=keyring.SYSTEM_SCOPE)
    owner_email = _stored(User, cast.owner.pk, "email")
    User.objects.filter(pk=cast.member.pk).update(email=owner_email)

    keyring.reset_cache()
    moved = User.objects.get(pk=cast.member.pk)
    with pytest.raises(DecryptionError):
        _ = moved.email


def test_a_tampered_row_is_left_failing_and_named_not_laundered(cast):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    User.objects.filter(pk=cast.member.pk).update(email=_stored(User, cast.owner.pk, "email"))

    job = rotation.rotate(scope=keyring.SYSTEM_SCOPE)

    assert job.state == RotationJob.State.DONE
    assert job.unreadable == [f"accounts.User:{cast.member.pk}"]
    assert _stored(User, cast.member.pk, "email").startswith(f"{PREFIX}:{old}:")
    assert _fresh_read(User, cast.admin.pk, "email") == "admin@acme.example"
    with pytest.raises(DecryptionError):
        _fresh_read(User, cast.member.pk, "email")


def test_unused_old_keys_are_destroyed_only_after_the_backup_window(cast):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    rotation.rotate(scope=keyring.SYSTEM_SCOPE)

    destroyed, kept = rotation.destroy_unused_keys(
        scope=keyring.SYSTEM_SCOPE, retired_before_days=timedelta(days=35)
    )
    assert destroyed == [] and [key for key, _ in kept] == [old]

    destroyed, kept = rotation.destroy_unused_keys(
        scope=keyring.SYSTEM_SCOPE, retired_before_days=timedelta(0)
    )
    assert destroyed == [old] and kept == []
    assert DataKey.objects.get(key_id=old).status == DataKey.Status.DESTROYED
    assert _fresh_read(User, cast.owner.pk, "email") == "owner@acme.example"
    assert AuditEvent.objects.filter(action="crypto.keys.destroyed", object_id=old).exists()


def test_an_old_key_a_row_still_names_is_kept(cast):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    User.objects.filter(pk=cast.member.pk).update(email=_stored(User, cast.owner.pk, "email"))
    rotation.rotate(scope=keyring.SYSTEM_SCOPE)

    destroyed, kept = rotation.destroy_unused_keys(
        scope=keyring.SYSTEM_SCOPE, retired_before_days=timedelta(0)
    )
    assert destroyed == [] and kept == [(old, "rows still name it")]


def test_subject_scopes_and_unknown_workspaces_are_refused(cast):
    with pytest.raises(rotation.RotationError):
        rotation.resolve_scope(f"subject:{cast.owner.pk}")
    with pytest.raises(rotation.RotationError):
        rotation.resolve_scope("no-such-workspace")


def test_other_processes_pick_up_the_new_active_key_after_the_recheck_interval(cast, monkeypatch):
    before = DataKey.objects.get(key_id=keyring.active_key(keyring.SYSTEM_SCOPE).key_id)
    # Another process rotates: only the database changes, not this process's cache.
    DataKey.objects.filter(pk=before.pk).update(status=DataKey.Status.DECRYPT_ONLY)
    DataKey.objects.create(
        key_id="feedfacecafebeef",
        scope=keyring.SYSTEM_SCOPE,
        purpose=DataKey.Purpose.ENCRYPTION,
        wrapped=before.wrapped,
        kek_id=before.kek_id,
    )
    assert keyring.active_key(keyring.SYSTEM_SCOPE).key_id == before.key_id  # still cached
    monkeypatch.setattr(keyring, "ACTIVE_RECHECK_SECONDS", 0.0)
    assert keyring.active_key(keyring.SYSTEM_SCOPE).key_id == "feedfacecafebeef"
