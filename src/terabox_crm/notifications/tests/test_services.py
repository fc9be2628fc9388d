"""notify(), marking read, and the retention sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Membership
from terabox_crm.notifications import services
from terabox_crm.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_notify_stores_kind_and_ids_only(cast):
    n = services.notification_send(
        user=cast.owner,
        kind="workspace.member_joined",
        workspace=cast.acme,
        params={"user_id": cast.member.pk},
    )
    n.refresh_from_db()
    assert n.params == {"user_id": str(cast.member.pk)}
    assert n.read_at is None
    assert n.workspace_id == cast.acme.pk


def test_notify_refuses_unknown_kinds(cast):
    with pytest.raises(ValueError, match="unknown notification kind"):
        services.notification_send(user=cast.owner, kind="nope.never")
    assert not Notification.objects.exists()


def test_notify_refuses_undeclared_params(cast):
    # An undeclared key is how a name or an email would sneak into the row.
    with pytest.raises(ValueError, match="takes no parameter 'email'"):
        services.notification_send(
            user=cast.owner, kind="account.password_changed", params={"email": "a@b.example"}
        )


def test_notify_refuses_structured_values(cast):
    with pytest.raises(ValueError, match="plain value"):
        services.notification_send(
            user=cast.owner,
            kind="workspace.role_changed",
            workspace=cast.acme,
            params={"role": {"name": "admin"}},
        )


def test_notify_refuses_missing_params(cast):
    with pytest.raises(ValueError, match="needs"):
        services.notification_send(
            user=cast.owner, kind="workspace.role_changed", workspace=cast.acme
        )


def test_workspace_kind_needs_a_workspace(cast):
    with pytest.raises(ValueError, match="must be sent with a workspace"):
        services.notification_send(
            user=cast.owner, kind="workspace.role_changed", params={"role": "admin"}
        )


def test_workspace_notification_goes_only_to_members(cast):
    with pytest.raises(ValueError, match="only to its members"):
        services.notification_send(
            user=cast.outsider,
            kind="workspace.role_changed",
            workspace=cast.acme,
            params={"role": "admin"},
        )
    assert not Notification.objects.exists()


def test_mark_read_is_idempotent(cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    services.notification_mark_read(user=cast.member, notification=n)
    first = n.read_at
    services.notification_mark_read(user=cast.member, notification=n)
    assert n.read_at == first is not None


def test_mark_read_refuses_someone_elses(cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    with pytest.raises(ValueError):
        services.notification_mark_read(user=cast.viewer, notification=n)
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_touches_only_the_users_visible_ones(cast):
    mine = services.notification_send(user=cast.member, kind="account.password_changed")
    theirs = services.notification_send(user=cast.viewer, kind="account.password_changed")
    assert services.notification_mark_all_read(user=cast.member) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def _aged(n: Notification, *, created_days: int, read_days: int | None = None) -> None:
    now = timezone.now()
    n.created_at = now - timedelta(days=created_days)
    n.read_at = now - timedelta(days=read_days) if read_days is not None else None
    n.save(update_fields=["created_at", "read_at"])


def _retention_run():
    """The retention engine over the installation's targets (no workspace rules)."""
    from terabox_crm.retention import engine

    return engine.run(workspace_ids=[])


def test_retention_deletes_old_read_and_very_old_unread(cast):
    def make():
        return services.notification_send(user=cast.member, kind="account.password_changed")

    old_read, recent_read, old_unread, recent_unread = make(), make(), make(), make()
    _aged(old_read, created_days=200, read_days=91)
    _aged(recent_read, created_days=200, read_days=10)
    _aged(old_unread, created_days=366)
    _aged(recent_unread, created_days=300)
    run = _retention_run()
    removed = run.removed_in(None)
    assert removed["notifications.read"] + removed["notifications.all"] == 2
    left = set(Notification.objects.values_list("pk", flat=True))
    assert left == {recent_read.pk, recent_unread.pk}


def test_retention_deletes_notifications_of_a_workspace_the_user_left(cast):
    n = services.notification_send(
        user=cast.member,
        kind="workspace.role_changed",
        workspace=cast.acme,
        params={"role": "member"},
    )
    personal = services.notification_send(user=cast.member, kind="account.password_changed")
    with scopes_disabled():
        Membership.objects.filter(pk=cast.member_membership.pk).delete()
    assert _retention_run().removed_in(None)["notifications.former_members"] == 1
    assert not Notification.objects.filter(pk=n.pk).exists()
    assert Notification.objects.filter(pk=personal.pk).exists()


def test_retention_is_audited_per_batch_without_ids_of_people(cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    _aged(n, created_days=400)
    _retention_run()
    event = AuditEvent.objects.get(
        action="retention.batch.applied", payload__target="notifications.all"
    )
    assert event.payload["rows"] == 1
    assert str(cast.member.pk) not in str(event.payload)


def test_retention_with_nothing_to_do_deletes_nothing(cast):
    kept = services.notification_send(user=cast.member, kind="account.password_changed")
    run = _retention_run()
    assert run.rows_total == 0
    assert Notification.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(action="retention.batch.applied").exists()


def test_no_job_of_its_own_deletes_notifications():
    """The retention run is the only path (P5): no periodic purge beside it."""
    import importlib.util

    assert importlib.util.find_spec("terabox_crm.notifications.tasks") is None
