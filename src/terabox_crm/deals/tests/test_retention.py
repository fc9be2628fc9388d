"""Won and lost deals past the period lose the person and keep the numbers (P5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.retention import engine, services
from terabox_crm.retention.models import RetentionRule
from terabox_crm.retention.tests.support import make_contact

pytestmark = pytest.mark.django_db


def _only_deals(cast, days=5 * 365):
    with scopes_disabled():
        for rule in engine.effective_rules(cast.acme.pk):
            RetentionRule.objects.update_or_create(
                workspace=cast.acme,
                target=rule.target.code,
                defaults={
                    "days": max(rule.days, days)
                    if rule.target.code != "deals.closed_deals"
                    else days,
                    "action": rule.action,
                    "enabled": rule.target.code == "deals.closed_deals",
                },
            )


def _deal(cast, pipeline, contact, stage, *, closed_days_ago, amount):
    deal = make_deal(
        cast.acme,
        cast.owner,
        pipeline,
        name=f"{contact.family_name}様 追加契約",
        stage=stage,
        contact=contact.pk,
        amount=Decimal(amount),
    )
    with scopes_disabled():
        Deal.objects.filter(pk=deal.pk).update(
            closed_at=timezone.now() - timedelta(days=closed_days_ago),
            close_reason="山田様のご判断",
        )
    return deal


def test_old_won_and_lost_deals_lose_the_person_and_keep_amount_and_stage(cast):
    membership = cast.owner_membership
    pipeline = make_pipeline(cast.acme, cast.owner)
    person = make_contact(membership, family="山田")
    held = make_contact(membership, family="保全")
    won = _deal(cast, pipeline, person, "Won", closed_days_ago=2000, amount="1200000")
    lost = _deal(cast, pipeline, person, "Lost", closed_days_ago=2000, amount="300000")
    recent = _deal(cast, pipeline, person, "Won", closed_days_ago=30, amount="50000")
    still_open = make_deal(cast.acme, cast.owner, pipeline, name="山田様 新規", contact=person.pk)
    kept_by_hold = _deal(cast, pipeline, held, "Won", closed_days_ago=2000, amount="7000")
    services.hold_set(membership=membership, subject_id=held.pk, reason="訴訟対応")
    _only_deals(cast)
    with scopes_disabled():
        total_before = Deal.objects.aggregate(total=Sum("amount"))["total"]
        assert SearchTerm.objects.filter(object_id=won.pk).exists()

    run = engine.run(workspace_ids=[cast.acme.pk])

    assert run.removed_in(cast.acme.pk)["deals.closed_deals"] == 2
    with scopes_disabled():
        for deal in (won, lost):
            gone = Deal.objects.get(pk=deal.pk)
            assert gone.contact_id is None and gone.name == "—" and gone.close_reason == ""
            assert gone.anonymised_at is not None and gone.stage_id == deal.stage_id
            assert gone.amount == deal.amount and gone.closed_at is not None
            assert not SearchTerm.objects.filter(object_id=deal.pk).exists()
        for deal in (recent, still_open, kept_by_hold):
            kept = Deal.objects.get(pk=deal.pk)
            assert kept.contact_id is not None and kept.name.endswith(("追加契約", "新規"))
            assert kept.anonymised_at is None
        assert Deal.objects.aggregate(total=Sum("amount"))["total"] == total_before
    (event,) = AuditEvent.objects.filter(
        action="retention.batch.applied", payload__target="deals.closed_deals"
    )
    assert event.payload["rows"] == 2 and "山田" not in str(event.payload)

    again = engine.run(workspace_ids=[cast.acme.pk])  # an anonymised deal is not due twice
    assert again.removed_in(cast.acme.pk).get("deals.closed_deals", 0) == 0


def test_the_target_is_off_until_an_admin_turns_it_on(cast):
    (rule,) = [
        r for r in engine.effective_rules(cast.acme.pk) if r.target.code == "deals.closed_deals"
    ]
    assert not rule.enabled and rule.action == "anonymise" and rule.days == 5 * 365
