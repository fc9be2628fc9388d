"""The single-record write path (docs/performance.md, "Write path"): creating a
contact with one email and one phone runs at most 9 SQL statements in one
transaction (none after it when no webhook endpoint takes the event; the
suppression list, P8, is looked up only in a workspace that has erased
someone, one more indexed statement), and still does everything — validation, encryption, search
terms, the audit event with its detail under the contact's own key (S5,
erasure by crypto-shredding, docs DESIGN §1), events after commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditDetail, AuditEvent
from terabox_crm.audit.verify import verify_all
from terabox_crm.auditlog.selectors import present
from terabox_crm.contacts import selectors, services
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core import bus
from terabox_crm.core.models import Team
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
STATEMENTS_MAX = 9


def _split(captured) -> tuple[list[str], list[str]]:
    sql = [query["sql"] for query in captured.captured_queries]
    control = [s for s in sql if s.upper().startswith(TRANSACTION_CONTROL)]
    return [s for s in sql if s not in control], control


@pytest.mark.django_db(transaction=True)  # autocommit, as a request: BEGIN/COMMIT are seen
def test_a_contact_with_one_email_and_one_phone_takes_at_most_9_statements(cast):
    owner = member_of(cast.acme, cast.owner)
    seen = []

    def listener(name, workspace_id, object_id):
        seen.append((name, object_id))

    # The first write of a workspace creates its chain head and keys: the
    # steady state is what every later create costs.
    make_contact(owner, emails=["first@example.jp"], phones=["090-0000-0001"])
    bus.subscribe(listener)
    try:
        with CaptureQueriesContext(connection) as captured:
            contact = make_contact(owner, emails=["hanako@example.jp"], phones=["090-1234-5678"])
    finally:
        bus.unsubscribe(listener)
    statements, control = _split(captured)
    assert len(statements) <= STATEMENTS_MAX, "\n".join(statements)
    # One transaction; the after-commit webhook fan-out opens none of its own
    # and, with no endpoint subscribed, asks the shared cache, not the database.
    assert not [s for s in statements if "webhooks_endpoint" in s]
    assert [
        s.split()[0].upper() for s in control if not s.upper().startswith(("SAVEPOINT", "RELEASE"))
    ] == [
        "BEGIN",
        "COMMIT",
    ]
    # Nothing is deleted or rewritten on create.
    assert not [s for s in statements if s.startswith(("DELETE", 'UPDATE "contacts'))]
    assert seen == [("contact.created", str(contact.pk))]


def test_a_created_contact_is_complete(cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(
        owner, family="山田", given="花子", emails=["Hanako@Example.jp"], phones=["090-1234-5678"]
    )
    with scope(workspace=cast.acme):
        assert [e.value for e in contact.emails.all()] == ["hanako@example.jp"]
        assert [p.value for p in contact.phones.all()] == ["+819012345678"]
        for query in ("hanako@example.jp", "090-1234-5678", "やまだ"):
            found = selectors.global_search(owner, query).contacts
            assert [c.pk for c in found] == [contact.pk], query
    with scopes_disabled():
        event = AuditEvent.objects.select_related("detail").get(
            action="contacts.contact.created", object_id=str(contact.pk)
        )
        entry = present([event])[0]
        key = DataKey.objects.get(key_id=event.detail.key_id)
    assert key.scope == f"subject:{contact.pk}" and key.status == DataKey.Status.ACTIVE
    assert ("emails", None, None, ["hanako@example.jp"]) in entry.personal
    assert "hanako" not in str(event.payload)


def test_each_contact_keeps_its_own_key_so_shredding_one_erases_only_it(cast):
    owner = member_of(cast.acme, cast.owner)
    erased = make_contact(owner, family="佐藤", emails=["sato@example.jp"])
    kept = make_contact(owner, family="鈴木", emails=["suzuki@example.jp"])
    assert keyring.destroy_scope(f"subject:{erased.pk}") == 1
    keyring.reset_cache()
    with scopes_disabled():
        details = {
            detail.subject: detail
            for detail in AuditDetail.objects.filter(
                subject__in=[f"subject:{erased.pk}", f"subject:{kept.pk}"]
            ).select_related("event")
        }
        shown = {subject: present([detail.event])[0] for subject, detail in details.items()}
    assert shown[f"subject:{erased.pk}"].erased
    assert ("family_name", None, None, "鈴木") in shown[f"subject:{kept.pk}"].personal
    assert all(report.ok for report in verify_all(chain=str(cast.acme.pk)))


def test_one_lookups_asks_each_owner_and_team_once(cast, django_assert_num_queries):
    owner = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        team = Team.objects.create(workspace=cast.acme, name="東京")
    lookups = services.Lookups(owner)
    with scope(workspace=cast.acme):
        with django_assert_num_queries(0):
            assert lookups.owner_id(cast.owner.pk) == cast.owner.pk  # the actor's own membership
        with django_assert_num_queries(2):
            for _ in range(3):  # a batch naming the same member and team three times
                assert lookups.owner_id(str(cast.member.pk)) == cast.member.pk
                assert lookups.is_team(team.pk)
