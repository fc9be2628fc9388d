from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from terabox_crm.api import serializers
from terabox_crm.api.query import QueryBooleanField
from terabox_crm.support import sla
from terabox_crm.support.models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Priority, Status, Ticket

SLA_TARGETS = ["response", "resolution"]


class TicketSlaOut(serializers.Serializer):
    state = serializers.ChoiceField(choices=list(sla.STATES))
    target = serializers.ChoiceField(
        choices=SLA_TARGETS,
        help_text="The deadline that matters now: first response until answered, then resolution.",
    )
    due_at = serializers.DateTimeField(allow_null=True)


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

    @extend_schema_field(TicketSlaOut)
    def get_sla(self, ticket: Ticket) -> dict:
        return TicketSlaOut(sla.clock(ticket)).data


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


class TicketListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    mine = QueryBooleanField(required=False, help_text="Only tickets assigned to the caller.")
