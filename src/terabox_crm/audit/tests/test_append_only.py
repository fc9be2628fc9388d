"""The audit tables are append-only in the database itself (S5)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from terabox_crm import audit
from terabox_crm.audit import checkpoints, triggers
from terabox_crm.audit.maintenance import maintenance_window
from terabox_crm.audit.models import AuditDetail, AuditEvent, ChainHead, Checkpoint, SigningKey
from terabox_crm.audit.tests.conftest import PLAIN_EVENT, chain_of, record_from


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def refused(sql, params=()) -> bool:
    try:
        with transaction.atomic():
            raw(sql, params)
    except IntegrityError as exc:
        return "append-only" in str(exc)
    return False


@pytest.fixture
def event(cast):
    recorded = record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    checkpoints.checkpoint_chain(recorded.chain)
    return recorded


def test_every_append_only_trigger_exists_after_all_migrations(db):
    assert triggers.expected(connection) <= triggers.installed(connection)


def test_database_refuses_update_of_an_event(event):
    assert refused("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == PLAIN_EVENT


def test_database_refuses_delete_of_an_event(event):
    assert refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused_too(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_id="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_database_refuses_update_and_delete_of_a_detail(event):
    assert AuditDetail.objects.filter(event=event).exists()
    assert refused("UPDATE audit_auditdetail SET ciphertext = 'x' WHERE event_id = %s", [event.pk])
    assert refused("DELETE FROM audit_auditdetail WHERE event_id = %s", [event.pk])


def test_database_refuses_update_and_delete_of_checkpoints_and_signing_keys(event):
    assert Checkpoint.objects.filter(chain=event.chain).exists()
    assert refused("UPDATE audit_checkpoint SET hash = 'x'")
    assert refused("DELETE FROM audit_checkpoint")
    assert refused("UPDATE audit_signingkey SET public_key = 'x'")
    assert refused("DELETE FROM audit_signingkey")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # committed rows: TRUNCATE refuses pending FK checks
def test_postgresql_refuses_truncate_of_the_audit_tables(event):
    for table in triggers.PROTECTED_TABLES:
        assert refused(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_chain_head_stays_updatable(event):
    assert ChainHead.objects.filter(chain=event.chain).update(seq=event.seq) == 1


def test_model_delete_raises_before_reaching_the_database(event):
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        event.detail.delete()
    with pytest.raises(RuntimeError):
        SigningKey.objects.first().delete()


def test_saving_an_existing_event_again_raises(event):
    event.action = "changed"
    with pytest.raises(RuntimeError):
        event.save()


def test_maintenance_window_allows_changes_and_closes_behind_itself(event):
    with maintenance_window(reason="test"):
        assert raw("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [event.pk]) == 1
    assert refused("UPDATE audit_auditevent SET object_id = 'y' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).object_id == "x"


def test_maintenance_window_is_closed_again_inside_an_enclosing_transaction(event):
    with transaction.atomic():
        with maintenance_window(reason="test"):
            raw("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [event.pk])
        assert refused("UPDATE audit_auditevent SET object_id = 'y' WHERE id = %s", [event.pk])


def test_maintenance_window_is_undone_by_an_error_inside_it(event):
    with pytest.raises(ZeroDivisionError), maintenance_window(reason="test"):
        raw("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [event.pk])
        1 / 0  # noqa: B018
    assert AuditEvent.objects.get(pk=event.pk).object_id == event.object_id
    assert refused("UPDATE audit_auditevent SET object_id = 'y' WHERE id = %s", [event.pk])


def test_record_inside_a_rolled_back_transaction_leaves_no_event(cast):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        audit.record(PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
        raise Boom
    assert not AuditEvent.objects.filter(chain=chain_of(cast.acme)).exists()
    assert not ChainHead.objects.filter(chain=chain_of(cast.acme), seq__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_tables_outside_production(cast):
    # pytest-django flushes after every transactional test, so this also proves
    # that transactional tests can record audit events at all.
    record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    checkpoints.checkpoint_chain(chain_of(cast.acme))
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert not Checkpoint.objects.exists()
    assert not SigningKey.objects.exists()
    assert not refused("SELECT 1")  # the connection is usable and no window was left open
    record_from(action=PLAIN_EVENT, workspace=None, actor=None)
    assert refused("DELETE FROM audit_auditevent")


@pytest.mark.django_db(transaction=True)
def test_flush_in_production_leaves_the_audit_trail_alone(cast, settings):
    record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=cast.admin)
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    settings.PRODUCTION = False
    assert AuditEvent.objects.filter(chain=chain_of(cast.acme)).exists()
