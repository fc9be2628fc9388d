"""The purpose gate (P2, P3): one set-based answer with a reason per refusal."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from terabox_crm.audit.models import AuditEvent
from terabox_crm.privacy import gate
from terabox_crm.privacy.tests.support import (
    grant,
    make_contact,
    member_of,
    restrict,
    withdraw,
)
from terabox_crm.refusals import Refusal


@pytest.fixture
def people(cast):
    member = member_of(cast.acme, cast.member)
    manager = member_of(cast.acme, cast.manager)
    consenting, withdrawn, silent, restricted = (make_contact(member) for _ in range(4))
    grant(member, consenting)
    grant(member, withdrawn)
    withdraw(member, withdrawn)
    grant(member, restricted)
    restrict(manager, restricted)
    return consenting, withdrawn, silent, restricted


def test_a_consent_purpose_allows_only_the_consenting(cast, people):
    consenting, withdrawn, silent, restricted = people
    stranger = uuid.uuid4()
    ids = [p.pk for p in people] + [stranger]
    decision = gate.check(
        workspace=cast.acme, purpose="communication", subject_ids=ids, channel="test"
    )
    assert decision.allowed == {consenting.pk}
    assert decision.refused[withdrawn.pk].code == "withdrawn"
    assert decision.refused[withdrawn.pk].at.date() == timezone.now().date()
    assert decision.refused[silent.pk].code == "no_consent"
    assert decision.refused[restricted.pk].code == "restricted"
    assert decision.refused[stranger].code == "unknown_subject"
    assert "同意が撤回されています" in decision.refused[withdrawn.pk].message


def test_a_contract_purpose_needs_no_consent_but_respects_restriction(cast, people):
    consenting, withdrawn, silent, restricted = people
    decision = gate.check(
        workspace=cast.acme, purpose="support", subject_ids=[p.pk for p in people]
    )
    assert decision.allowed == {consenting.pk, withdrawn.pk, silent.pk}
    assert decision.refused[restricted.pk].code == "restricted"


def test_only_a_legal_obligation_reaches_a_restricted_contact(cast, people):
    decision = gate.check(workspace=cast.acme, purpose="legal", subject_ids=[p.pk for p in people])
    assert decision.allowed == {p.pk for p in people}


def test_another_workspace_s_contacts_are_unknown(cast, people):
    decision = gate.check(workspace=cast.globex, purpose="support", subject_ids=[people[0].pk])
    assert decision.refused[people[0].pk].code == "unknown_subject"


def test_refusals_are_logged_once_per_check_with_ids_and_codes(cast, people):
    _consenting, withdrawn, silent, _restricted = people
    gate.check(
        workspace=cast.acme,
        purpose="communication",
        subject_ids=[withdrawn.pk, silent.pk],
        channel="test",
    )
    event = AuditEvent.objects.get(action="privacy.gate.refused")
    assert event.payload["channel"] == "test"
    assert event.payload["subjects"] == {
        str(withdrawn.pk): "withdrawn",
        str(silent.pk): "no_consent",
    }


def test_logging_stays_within_a_budget(cast, people):
    for _ in range(gate.REFUSALS_RECORDED + 5):
        gate.check(
            workspace=cast.acme,
            purpose="communication",
            subject_ids=[people[2].pk],
            channel="flood",
        )
    assert (
        AuditEvent.objects.filter(action="privacy.gate.refused").count() == gate.REFUSALS_RECORDED
    )


def test_a_registered_refusal_source_refuses_with_its_code(cast, people, monkeypatch):
    consenting = people[0]
    erased_on = timezone.now()
    # setitem, not register/unregister: the erasure app's real source comes back after.
    monkeypatch.setitem(
        gate._refusal_sources,
        "erased",
        lambda workspace_id, ids: {consenting.pk: erased_on} if consenting.pk in ids else {},
    )
    decision = gate.check(workspace=cast.acme, purpose="support", subject_ids=[consenting.pk])
    assert decision.refused[consenting.pk].code == "erased"
    assert decision.refused[consenting.pk].at == erased_on


def test_the_query_count_does_not_grow_with_the_number_of_ids(cast, people, monkeypatch):
    ids = [p.pk for p in people] + [uuid.uuid4() for _ in range(3_000)]
    with CaptureQueriesContext(connection) as small:
        gate.check(workspace=cast.acme, purpose="communication", subject_ids=ids[:4], log=False)
    monkeypatch.setattr(gate, "CHUNK", 1_000)
    with CaptureQueriesContext(connection) as large:
        gate.check(workspace=cast.acme, purpose="communication", subject_ids=ids, log=False)
    # Restrictions and consents: one query per chunk each (4 chunks); each
    # registered refusal source (erasure's tombstones) one per its own chunk.
    assert len(small) <= 4 + len(gate._refusal_sources)
    assert len(large) <= len(small) + 2 * 3


def test_ids_read_from_the_subjects_rows_skip_only_the_lookup(cast, people):
    """An export of contacts (S4) passes the ids it just read from the
    contacts table: every reason is still asked, one query fewer."""
    consenting, withdrawn, silent, restricted = people
    ids = [p.pk for p in people]
    with CaptureQueriesContext(connection) as looked_up:
        usual = gate.check(workspace=cast.acme, purpose="communication", subject_ids=ids, log=False)
    with CaptureQueriesContext(connection) as trusted:
        read = gate.check(
            workspace=cast.acme,
            purpose="communication",
            subject_ids=ids,
            log=False,
            read_from_subjects=True,
        )
    assert read.allowed == usual.allowed == {consenting.pk}
    assert {k: r.code for k, r in read.refused.items()} == {
        withdrawn.pk: "withdrawn",
        silent.pk: "no_consent",
        restricted.pk: "restricted",
    }
    assert len(trusted) == len(looked_up) - 1


def test_an_unknown_purpose_is_refused(cast, people):
    with pytest.raises(Refusal) as refused:
        gate.check(workspace=cast.acme, purpose="nothing", subject_ids=[people[0].pk])
    assert refused.value.code == "unknown_purpose"


def test_require_raises_the_reason(cast, people):
    with pytest.raises(Refusal) as refused:
        gate.require(workspace=cast.acme, purpose="communication", subject_id=people[1].pk)
    assert refused.value.code == "purpose_withdrawn"
