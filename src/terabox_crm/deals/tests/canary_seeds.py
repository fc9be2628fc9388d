"""Canary seeds of deals, activities and tickets (terabox_crm/testing/canary.py)."""

from datetime import timedelta

from django.utils import timezone

from terabox_crm.activities import services as activity_services
from terabox_crm.deals import services as deal_services
from terabox_crm.support import services as support_services
from terabox_crm.testing.canary import World, seeder


@seeder
def deals_activities_tickets(world: World) -> list[str]:
    actor = world.owner
    pipeline = deal_services.pipeline_create(membership=world.membership, name="Pipeline")
    deal = deal_services.deal_create(
        membership=world.membership,
        data=deal_services.DealData(
            name="Zqvwex Canary Merger 合併案件", stage=pipeline.stages.order_by("position").first()
        ),
    )
    # A lost deal's reason is free text that may name a person (P1).
    lost = pipeline.stages.get(kind="lost")
    deal_services.deal_set_stage(
        membership=world.membership,
        deal=deal,
        stage=lost,
        reason="Zqvwex canary lost reason 失注理由",
    )
    activity_services.activity_log(
        membership=world.membership,
        data=activity_services.ActivityData(
            kind="call",
            occurred_at=timezone.now(),
            subject="Zqvwex canary call subject",
            body="Zqvwex canary call body 電話メモ",
            links=activity_services.Links(deal=deal),
        ),
    )
    activity_services.task_create(
        membership=world.membership,
        data=activity_services.TaskData(
            title="Zqvwex canary task title",
            notes="Zqvwex canary task notes",
            due_at=timezone.now() + timedelta(days=1),
            assignee=actor,
        ),
    )
    ticket = support_services.ticket_open(
        membership=world.membership,
        data=support_services.TicketData(
            subject="Zqvwex canary ticket subject", description="Zqvwex canary ticket description"
        ),
    )
    support_services.ticket_reply(
        membership=world.membership, ticket=ticket, body="Zqvwex canary ticket reply"
    )
    return [
        "Zqvwex Canary Merger",
        "合併案件",
        "Zqvwex canary lost reason",
        "失注理由",
        "Zqvwex canary call subject",
        "電話メモ",
        "Zqvwex canary task title",
        "Zqvwex canary task notes",
        "Zqvwex canary ticket subject",
        "Zqvwex canary ticket description",
        "Zqvwex canary ticket reply",
    ]
