"""The erasure-ledger key outlives key changes (P8, S11): its own file,
wrapped under the master key and re-wrapped when the master key changes, so
tombstone hashes, ledger MACs and the suppression list hold; and an erasure
made before a ``keys rotate`` is re-applied after a restore of an older copy."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.core import rotation
from terabox_crm.crypto import keyring
from terabox_crm.erasure import keys, ledger, reapply, selectors, services
from terabox_crm.erasure.models import Tombstone
from terabox_crm.erasure.tests import world
from terabox_crm.erasure.tests.test_restore_and_raw_storage import (  # noqa: F401 - a fixture
    _Snapshot,
    restorable,
)


@pytest.fixture(autouse=True)
def _own_key_file(tmp_path):
    keys.use_key_path(tmp_path / "erasure-ledger.key")
    yield
    keys.use_key_path(None)


def _erase(person):
    with scope(workspace=person.officer.workspace):
        return services.subject_erase(
            membership=person.officer, subject_id=person.contact.pk, reason="DSR 7"
        )


def _switch_master_key(monkeypatch, new: bytes) -> None:
    """This process now runs with ``new`` as its master key (as after a restart)."""
    monkeypatch.setattr(keyring, "_kek", (keyring.kek_id_of(new), new))
    keys.use_key_path(keys.key_path())  # forget the unwrapped ledger key


@pytest.mark.django_db
def test_the_key_file_holds_no_plain_key_and_is_private(cast):
    world.make_person(cast)
    record = json.loads(keys.key_path().read_text())
    assert set(record) == {"v", "id", "kek", "wrapped"}
    assert record["kek"] == keyring.kek()[0]
    _kid, key = keys.ledger_key()
    assert key.hex() not in keys.key_path().read_text()
    assert keys.key_path().stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_hashes_made_before_the_key_had_a_file_still_match(cast):
    """Installations that erased people before: the first value of the key is
    the one derived from the master key then, so old hashes need no migration."""
    _kek_id, kek = keyring.kek()
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tbx/erasure-ledger/v1"
    ).derive(kek)
    message = f"email\x00{cast.acme.pk}\x00{world.EMAIL}".encode()
    assert (
        keys.digest(cast.acme.pk, "email", world.EMAIL)
        == hmac.digest(derived, message, "sha256").hex()
    )
    assert keys.fingerprint() == hashlib.sha256(b"tbx-ledger-id" + derived).hexdigest()[:16]


@pytest.mark.django_db
def test_a_master_key_change_keeps_hashes_ledger_lines_and_suppression(cast, monkeypatch):
    person = world.make_person(cast)
    _erase(person)
    digest = keys.digest(cast.acme.pk, "email", world.EMAIL)
    fingerprint = keys.fingerprint()

    new = secrets.token_bytes(32)
    keys.rewrap(new)
    _switch_master_key(monkeypatch, new)

    assert json.loads(keys.key_path().read_text())["kek"] == keyring.kek_id_of(new)
    assert keys.digest(cast.acme.pk, "email", world.EMAIL) == digest
    assert keys.fingerprint() == fingerprint
    entries, bad = ledger.entries()
    assert bad == [] and [e["subject"] for e in entries] == [str(person.contact.pk)]
    assert selectors.suppressed(cast.acme.pk, emails=[world.EMAIL.upper()]) == {world.EMAIL.upper()}
    assert selectors.suppressed(cast.acme.pk, phones=[world.PHONE]) == {world.PHONE}


@pytest.mark.django_db
def test_another_master_key_without_a_rewrap_is_refused_not_guessed(cast, monkeypatch):
    world.make_person(cast)
    keys.fingerprint()  # the file exists, under the current master key
    _switch_master_key(monkeypatch, secrets.token_bytes(32))
    with pytest.raises(keys.LedgerKeyUnavailable, match="wrapped under master key"):
        keys.digest(cast.acme.pk, "email", world.EMAIL)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restorable")
def test_erase_rotate_restore_reapply_the_person_is_gone(cast):
    person = world.make_person(cast)
    snapshot = _Snapshot()  # the old copy: before the erasure and the rotation
    _erase(person)
    for name in (str(cast.acme.pk), keyring.SYSTEM_SCOPE):  # ``terabox-crm keys rotate``
        assert rotation.rotate(scope=name).state == "done"

    snapshot.restore()
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()
    report = reapply.reapply()

    assert report.ok, report
    assert report.reapplied == [str(person.contact.pk)]
    with scopes_disabled():
        assert not Contact.objects.filter(pk=person.contact.pk).exists()
        assert Tombstone.objects.filter(subject_id=person.contact.pk).exists()
    assert selectors.suppressed(cast.acme.pk, emails=[world.EMAIL]) == {world.EMAIL}
