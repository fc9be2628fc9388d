from __future__ import annotations

from terabox_crm.activities.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Activity, Task
from terabox_crm.api import serializers
from terabox_crm.api.query import QueryBooleanField


class ActivityOut(serializers.ModelSerializer):
    subject = serializers.CharField()
    body = serializers.CharField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "occurred_at",
            "duration_minutes",
            "contact",
            "company",
            "deal",
            "owner",
            "created_at",
        ]


class ActivityIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    subject = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True)
    body = serializers.CharField(max_length=BODY_MAX_LENGTH, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=24 * 60
    )
    contact = serializers.UUIDField(required=False, allow_null=True)
    company = serializers.UUIDField(required=False, allow_null=True)
    deal = serializers.UUIDField(required=False, allow_null=True)


class TaskOut(serializers.ModelSerializer):
    title = serializers.CharField()
    notes = serializers.CharField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "notes",
            "due_at",
            "remind_at",
            "assignee",
            "status",
            "completed_at",
            "contact",
            "company",
            "deal",
            "owner",
            "created_at",
        ]


class TaskIn(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    notes = serializers.CharField(max_length=BODY_MAX_LENGTH, required=False, allow_blank=True)
    due_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField(required=False, allow_null=True)
    assignee = serializers.UUIDField(required=False, allow_null=True)
    contact = serializers.UUIDField(required=False, allow_null=True)
    company = serializers.UUIDField(required=False, allow_null=True)
    deal = serializers.UUIDField(required=False, allow_null=True)


class ActivityListParams(serializers.Serializer):
    contact = serializers.UUIDField(required=False, help_text="Only those on this contact.")
    company = serializers.UUIDField(required=False, help_text="Only those on this company.")
    deal = serializers.UUIDField(required=False, help_text="Only those on this deal.")


class TaskListParams(ActivityListParams):
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    mine = QueryBooleanField(required=False, help_text="Only tasks assigned to the caller.")
