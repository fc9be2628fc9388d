"""The deal list's bulk stage change is set-based (docs/ui.md "Bulk actions",
docs/performance.md): 10 and 100 chosen deals cost the same queries, and it
keeps what ``deal_move`` guarantees — the locks of restricted people's deals
(P7), the stage history on the audit chain, the bus events (webhooks)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.audit.verify import verify_chain
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core import bus
from terabox_crm.deals import services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def _deals(cast, pipeline, count: int, prefix: str) -> list:
    return [make_deal(cast.acme, cast.owner, pipeline, name=f"{prefix}{i}") for i in range(count)]


def _queries(cast, deals, stage) -> int:
    membership = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme), CaptureQueriesContext(connection) as captured:
        changed = services.deal_bulk(
            membership=membership,
            ids=[str(d.pk) for d in deals],
            action="stage",
            value=str(stage.pk),
        )
    assert changed == len(deals)
    return len(captured.captured_queries)


def test_ten_and_a_hundred_deals_cost_the_same_queries(cast, pipeline):
    won, qualified = stage_named(pipeline, "Won"), stage_named(pipeline, "Qualified")
    ten, hundred = _deals(cast, pipeline, 10, "T"), _deals(cast, pipeline, 100, "H")
    assert _queries(cast, ten, qualified) == _queries(cast, hundred, won)


def test_the_set_based_move_keeps_what_deal_move_does(
    cast, pipeline, django_capture_on_commit_callbacks
):
    won, lead = stage_named(pipeline, "Won"), stage_named(pipeline, "Lead")
    already = make_deal(cast.acme, cast.owner, pipeline, name="Already won", stage="Won")
    deals = _deals(cast, pipeline, 3, "D")
    seen = []
    bus.subscribe(seen_event := lambda name, ws, obj: seen.append((name, obj)))
    try:
        with scope(workspace=cast.acme), django_capture_on_commit_callbacks(execute=True):
            services.deal_bulk(
                membership=member_of(cast.acme, cast.owner),
                ids=[str(d.pk) for d in deals],
                action="stage",
                value=str(won.pk),
            )
    finally:
        bus.unsubscribe(seen_event)
    with scopes_disabled():
        moved = list(Deal.objects.filter(pk__in=[d.pk for d in deals]).order_by("board_position"))
        already.refresh_from_db()
        # At the end of the column, in the chosen order, each its own place.
        assert [d.pk for d in moved] == [d.pk for d in deals]
        assert [d.board_position for d in moved] == [already.board_position + n for n in (1, 2, 3)]
        assert all(d.closed_at and d.stage_entered_at for d in moved)
        history = AuditEvent.objects.filter(action="deals.deal.stage_changed")
        assert {(e.object_id, e.payload["from"], e.payload["to"]) for e in history} == {
            (str(d.pk), str(lead.pk), str(won.pk)) for d in deals
        }
        assert verify_chain(str(cast.acme.pk)).ok
    assert {obj for name, obj in seen if name == "deal.stage_changed"} == {str(d.pk) for d in deals}


def test_reopening_drops_the_reason_and_the_close_time(cast, pipeline):
    lead = stage_named(pipeline, "Lead")
    deal = make_deal(cast.acme, cast.owner, pipeline, name="Lost one", stage="Lost")
    with scopes_disabled():
        Deal.objects.filter(pk=deal.pk).update(close_reason="")
    with scope(workspace=cast.acme):
        services.deal_bulk(
            membership=member_of(cast.acme, cast.owner),
            ids=[str(deal.pk)],
            action="stage",
            value=str(lead.pk),
        )
    with scopes_disabled():
        deal.refresh_from_db()
    assert deal.stage_id == lead.pk and deal.closed_at is None and deal.close_reason == ""


def test_a_restricted_persons_deal_stops_the_whole_move(cast, pipeline):
    from terabox_crm.privacy import services as privacy

    owner = member_of(cast.acme, cast.owner)
    person = make_contact(owner, family="Locked")
    free = make_deal(cast.acme, cast.owner, pipeline, name="Free")
    locked = make_deal(cast.acme, cast.owner, pipeline, name="Locked deal", contact=person.pk)
    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=owner,
            subject_id=person.pk,
            reason="disputed",
            requested_by="subject",
        )
    won = stage_named(pipeline, "Won")
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.deal_bulk(
            membership=member_of(cast.acme, cast.admin),
            ids=[str(free.pk), str(locked.pk)],
            action="stage",
            value=str(won.pk),
        )
    assert refused.value.status == 403
    with scopes_disabled():
        assert not Deal.objects.filter(stage=won).exists()
        assert not AuditEvent.objects.filter(action="deals.deal.stage_changed").exists()
