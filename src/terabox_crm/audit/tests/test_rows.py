"""``terabox_crm.rows.insert`` (docs/performance.md, "Write path") writes
exactly what ``save()`` writes, and only for models nothing listens to."""

from __future__ import annotations

from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm import rows
from terabox_crm.audit.models import AuditDetail, AuditEvent
from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
from terabox_crm.crypto.models import DataKey

# Every model a write path inserts with ``rows.insert``.
INSERTED = (
    AuditEvent,
    AuditDetail,
    DataKey,
    Contact,
    ContactEmail,
    ContactPhone,
    Contact.tags.through,
)


def test_no_model_written_with_insert_has_a_save_signal_receiver():
    for model in INSERTED:
        assert not pre_save.has_listeners(model), model
        assert not post_save.has_listeners(model), model


def _event(seq: int) -> AuditEvent:
    return AuditEvent(
        chain="rows-test",
        seq=seq,
        created_at=timezone.now().replace(microsecond=123456),
        action="contacts.contact.created",
        object_type="contacts.contact",
        object_id="x",
        payload={"fields": ["given_name", "family_name"], "n": 1},
        prev_hash="0" * 64,
        hash=f"{seq:064d}",
    )


def test_an_inserted_row_is_stored_as_save_stores_it(db):
    saved, inserted = _event(1), _event(2)
    inserted.created_at = saved.created_at
    saved.save(force_insert=True)
    rows.insert([inserted])
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    # The stored form itself (SQL, not the ORM's reading of it): same text,
    # same datetime format, same JSON.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at, action, object_type, object_id, payload, prev_hash"
            " FROM audit_auditevent WHERE chain = %s ORDER BY seq",
            ["rows-test"],
        )
        first, second = cursor.fetchall()
    assert first == second


def test_inserted_encrypted_rows_read_back_and_get_their_timestamps(cast):
    with scopes_disabled():
        contact = Contact(workspace=cast.acme, owner=cast.owner, family_name="山田")
        rows.insert([contact])
        rows.insert(
            [
                ContactEmail(workspace=cast.acme, contact=contact, value=f"{n}@example.jp")
                for n in (1, 2)
            ]
        )
        raw = Contact.objects.filter(pk=contact.pk).values_list("family_name", flat=True).get()
    assert contact.created_at is not None and contact.updated_at is not None
    assert "山田" not in raw  # sealed by the field, as save() seals it
    with scope(workspace=cast.acme):
        again = Contact.objects.get(pk=contact.pk)
        assert again.family_name == "山田"
        assert sorted(e.value for e in again.emails.all()) == ["1@example.jp", "2@example.jp"]
