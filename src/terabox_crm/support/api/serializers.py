from __future__ import annotations

from rest_framework import serializers

from terabox_crm.support import sla
from terabox_crm.support.models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Priority, Status, Ticket


class TicketOut(serializers.ModelSerializer):
    subject = serializers.CharField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "status",
            "priority",
            "contact",
            "company",
            "assignee",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "sla",
            "created_at",
            "updated_at",
        ]

    def get_sla(self, ticket: Ticket) -> dict:
        clock = sla.clock(ticket)
        return {"state": clock.state, "target": clock.target, "due_at": clock.due_at}


class TicketIn(serializers.Serializer):
    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH)
    description = serializers.CharField(
        max_length=BODY_MAX_LENGTH, required=False, allow_blank=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = serializers.UUIDField(required=False, allow_null=True)
    contact = serializers.UUIDField(required=False, allow_null=True)
    company = serializers.UUIDField(required=False, allow_null=True)


class TicketChangeIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.UUIDField(required=False, allow_null=True)


class ReplyIn(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_LENGTH)
    internal = serializers.BooleanField(default=False)
