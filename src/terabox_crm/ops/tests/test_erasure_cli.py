"""``terabox-crm erasure reapply`` and ``status`` (P8, S11)."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.erasure import ledger, services
from terabox_crm.erasure.models import Tombstone
from terabox_crm.erasure.tests import world
from terabox_crm.ops import erasure as cli

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path):
    ledger.use_path(tmp_path / "erasure-ledger.jsonl")
    yield
    ledger.use_path(None)


def test_reapply_erases_again_what_the_database_lost(cast, capsys):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        services.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    # As if the database came from before the erasure: drop its tombstone
    # and bring a contact with the same id back.
    with scopes_disabled():
        Tombstone.objects.all().delete()
    with scopes_disabled():
        Contact.objects.create(pk=person.contact.pk, workspace=cast.acme, family_name="Back")
    assert cli.main(["status"]) == 0
    assert "1 not in the database" in capsys.readouterr().out
    assert cli.main(["reapply"]) == 0
    out = capsys.readouterr().out
    assert f"erased again: {person.contact.pk}" in out
    assert ": ok, " in out
    with scopes_disabled():
        assert not Contact.objects.filter(pk=person.contact.pk).exists()
        assert Tombstone.objects.get().reapplied_at is not None
    assert cli.main(["reapply"]) == 0
    assert "nothing to re-apply" in capsys.readouterr().out


def test_a_tampered_ledger_exits_one(cast, capsys):
    ledger.path().write_text('{"v":1,"workspace":"x","subject":"y","mac":"00"}\n')
    assert cli.main(["reapply"]) == 1
    assert "ledger line 1: integrity check failed" in capsys.readouterr().err
