"""Erasure survives a restore (S11) and leaves nothing in the database files (P8).

Both run on the test run's own database in autocommit (``transaction=True``),
so what they look at is committed:

* restore: on SQLite a copy is taken with the online backup API before the
  erasure and copied back over the live database afterwards (the "swap"),
  then ``reapply()`` runs; on PostgreSQL a ``pg_dump`` taken before is
  loaded into a fresh database that the connection is switched to.
* raw storage: every stored value of the person (the ciphertexts of their
  fields, activities, ticket text, queued email; the wrapped subject key)
  is read before the erasure; afterwards, with ``secure_delete`` on and a
  WAL checkpoint, a byte image of the SQLite database (``backup`` copies
  every page, free ones included) or a ``pg_dump`` must contain none of it.
  Audit details stay as ciphertext under the destroyed key (crypto-shredding,
  DESIGN.md §1): the test proves that key is gone instead.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from terabox_crm import datadir
from terabox_crm.activities.models import Activity, Task
from terabox_crm.audit.chain import subject_scope
from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.deals.models import Deal
from terabox_crm.erasure import reapply, services
from terabox_crm.erasure.models import Tombstone
from terabox_crm.erasure.tests import world
from terabox_crm.privacy.models import ConsentEvent, ConsentEvidenceFile, Restriction
from terabox_crm.support.models import Ticket, TicketMessage
from terabox_crm.testing.canary import scan_bytes, scan_paths

pytestmark = pytest.mark.django_db(transaction=True)


def _erase(person):
    with scope(workspace=person.officer.workspace):
        return services.subject_erase(
            membership=person.officer, subject_id=person.contact.pk, reason="DSR 42"
        )


# --- Restore ------------------------------------------------------------------------------


class _Snapshot:
    """A copy of the live database taken now, and putting it back."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.copy = sqlite3.connect(":memory:")
            connection.connection.backup(self.copy)
        else:
            self.dump = _pg_dump(connection.settings_dict)

    def restore(self) -> None:
        if self.vendor == "sqlite":
            self.copy.backup(connection.connection)
        else:
            settings = connection.settings_dict
            fresh = f"{settings['NAME']}_restored_{uuid.uuid4().hex[:8]}"
            _psql(settings, "postgres", f'CREATE DATABASE "{fresh}"')
            _psql(settings, fresh, None, stdin=self.dump)
            connection.close()
            settings["NAME"] = fresh
        keyring.reset_cache()


def _pg_env(settings) -> dict:
    import os

    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def _pg_args(settings, name) -> list[str]:
    return [
        "-h",
        settings.get("HOST") or "127.0.0.1",
        "-p",
        str(settings.get("PORT") or 5432),
        "-U",
        settings.get("USER") or "postgres",
        "-d",
        name,
    ]


def _pg_dump(settings) -> bytes:
    return subprocess.run(  # noqa: S603  # fixed arguments, test database
        [shutil.which("pg_dump") or "pg_dump", "--no-owner", *_pg_args(settings, settings["NAME"])],
        check=True,
        capture_output=True,
        env=_pg_env(settings),
    ).stdout


def _psql(settings, name, command, *, stdin: bytes | None = None) -> None:
    args = [
        shutil.which("psql") or "psql",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        *_pg_args(settings, name),
    ]
    args += ["-c", command] if command else []
    subprocess.run(args, check=True, input=stdin, capture_output=True, env=_pg_env(settings))  # noqa: S603


@pytest.fixture
def restorable():
    """Switch back to the test database after a PostgreSQL restore."""
    name = connection.settings_dict["NAME"]
    yield
    if connection.settings_dict["NAME"] != name:
        restored = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = name
        _psql(connection.settings_dict, "postgres", f'DROP DATABASE IF EXISTS "{restored}"')


def test_a_restored_database_loses_the_person_again(cast, restorable):
    if connection.vendor == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    person = world.make_person(cast, restricted=True)
    owner = member_of(cast.acme, cast.owner)
    # The same person under a second record, merged away after the backup.
    twin = make_contact(owner, family="Twin", emails=[world.EMAIL.upper()])
    twin_id = twin.pk
    snapshot = _Snapshot()
    with scope(workspace=cast.acme):
        contact_services.contact_delete(membership=owner, contact=twin)
    _erase(person)

    snapshot.restore()
    with scopes_disabled():
        assert Contact.objects.filter(pk__in=[person.contact.pk, twin_id]).count() == 2
        assert not Tombstone.objects.exists()

    report = reapply.reapply()

    assert report.ok, report
    assert report.reapplied == [str(person.contact.pk)]
    assert report.matched == [str(twin_id)]
    with scopes_disabled():
        assert not Contact.objects.filter(pk__in=[person.contact.pk, twin_id]).exists()
        assert not Activity.objects.filter(contact_id=person.contact.pk).exists()
        assert Deal.objects.get(pk=person.deal.pk).name == "—"
        events = ConsentEvent.objects.filter(subject_id=person.contact.pk)
        assert events.count() == 2 and set(events.values_list("evidence", flat=True)) == {""}
        assert not ConsentEvidenceFile.objects.filter(event__subject_id=person.contact.pk).exists()
        assert set(
            Restriction.objects.filter(subject_id=person.contact.pk).values_list(
                "reason", "requested_by"
            )
        ) == {("", "")}
        assert not OutboxEmail.objects.filter(workspace_id=cast.acme.pk).exists()
        assert set(
            DataKey.objects.filter(scope=subject_scope(person.contact.pk)).values_list(
                "status", flat=True
            )
        ) == {DataKey.Status.DESTROYED}
        tombstone = Tombstone.objects.get(subject_id=person.contact.pk)
        assert tombstone.reapplied_at is not None
        assert AuditEvent.objects.filter(action="privacy.subject.reapplied").count() == 1
    # Idempotent: a second run finds every tombstone in place.
    again = reapply.reapply()
    assert again.ok and again.reapplied == [] and again.matched == []


def test_an_edited_ledger_line_is_reported_not_trusted(cast):
    from terabox_crm.erasure import ledger

    person = world.make_person(cast)
    _erase(person)
    text = ledger.path().read_text().replace(str(cast.acme.pk), str(uuid.uuid4()))
    ledger.path().write_text(text)
    report = reapply.reapply()
    assert report.bad_lines == [1]
    assert not report.ok


# --- Raw storage --------------------------------------------------------------------------


def _stored(model, field: str, **filters) -> list[str]:
    with scopes_disabled():
        values = model.objects.filter(**filters).values_list(field, flat=True)
        return [str(v) for v in values if v]


def _stored_values(person) -> list[str]:
    """The person's values as stored: ciphertexts (their base64 part) and key bytes."""
    pk = person.contact.pk
    tokens = []
    for name in ("family_name", "given_name", "notes"):
        tokens += _stored(Contact, name, pk=pk)
    tokens += _stored(ContactEmail, "value", contact_id=pk)
    tokens += _stored(ContactPhone, "value", contact_id=pk)
    tokens += _stored(Activity, "body", contact_id=pk)
    tokens += _stored(Task, "title", contact_id=pk)
    tokens += _stored(Ticket, "description", contact_id=pk)
    tokens += _stored(TicketMessage, "body", ticket__contact_id=pk)
    tokens += _stored(Deal, "name", contact_id=pk)
    tokens += _stored(OutboxEmail, "body_text", workspace_id=person.officer.workspace_id)
    # Consent evidence and restriction text: under the workspace key, so the
    # destroyed subject key does not cover them; the erasure must remove them.
    tokens += _stored(ConsentEvent, "evidence", subject_id=pk)
    tokens += _stored(ConsentEvidenceFile, "name", event__subject_id=pk)
    tokens += _stored(ConsentEvidenceFile, "content", event__subject_id=pk)
    for name in ("reason", "requested_by"):
        tokens += _stored(Restriction, name, subject_id=pk)
    needles = [token.rsplit(":", 1)[-1][:40] for token in tokens]
    with scopes_disabled():
        for wrapped in DataKey.objects.filter(scope=subject_scope(pk)).values_list(
            "wrapped", flat=True
        ):
            needles.append(bytes(wrapped).hex())  # how pg_dump writes bytea
    return needles


def _image() -> bytes:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA secure_delete").fetchone()[0] == 1
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = sqlite3.connect(":memory:")
        connection.connection.backup(target)
        return target.serialize()
    return _pg_dump(connection.settings_dict)


def _wrapped_keys_raw(person) -> list[bytes]:
    with scopes_disabled():
        return [
            bytes(w)
            for w in DataKey.objects.filter(scope=subject_scope(person.contact.pk)).values_list(
                "wrapped", flat=True
            )
        ]


def test_nothing_of_the_person_is_left_in_the_database_files(cast):
    person = world.make_person(cast, restricted=True)
    stored = _stored_values(person)
    keys = _wrapped_keys_raw(person)
    assert len(stored) >= 16 and keys
    before = _image()
    assert scan_bytes(before, stored, "before"), "the scan must find the values before"
    if connection.vendor == "sqlite":
        assert any(key in before for key in keys)

    _erase(person)

    after = _image()
    assert scan_bytes(after, [*stored, *world.CANARIES], "after") == []
    assert not any(key in after for key in keys)
    # Nor in the data dir's files (ledger, keys, caches): evidence files live
    # in their rows, never on the file system.
    assert scan_paths(datadir.path(), [*stored, *world.CANARIES]) == []
