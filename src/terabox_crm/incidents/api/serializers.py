from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from terabox_crm.api import serializers
from terabox_crm.incidents import clocks
from terabox_crm.incidents.models import (
    NOTICE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Incident,
    Severity,
    Source,
    Status,
    TimelineEntry,
)
from terabox_crm.inventory import Category


class ClockOut(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(clocks.LABELS))
    state = serializers.ChoiceField(choices=list(clocks.STATE_LABELS))
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    hours_left = serializers.IntegerField(help_text="Negative when overdue.")


class IncidentOut(serializers.ModelSerializer):
    title = serializers.CharField()
    description = serializers.CharField()
    systems_affected = serializers.CharField()
    actions_taken = serializers.CharField()
    cause = serializers.CharField()
    secondary_risk = serializers.CharField()
    measures = serializers.CharField()
    data_categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.values))
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "title",
            "severity",
            "status",
            "detected_at",
            "source",
            "source_user",
            "window_start",
            "window_end",
            "data_categories",
            "description",
            "systems_affected",
            "actions_taken",
            "cause",
            "secondary_risk",
            "measures",
            "malicious",
            "appi_applies",
            "gdpr_applies",
            "preliminary_days",
            "preliminary_reported_at",
            "final_reported_at",
            "gdpr_reported_at",
            "owner",
            "affected_computed_at",
            "notified_at",
            "notice_published_at",
            "created_at",
            "updated_at",
            "closed_at",
            "clocks",
        ]
        read_only_fields = fields

    @extend_schema_field(ClockOut(many=True))
    def get_clocks(self, incident) -> list[dict]:
        return ClockOut(
            [
                {
                    "code": clock.code,
                    "state": clock.state,
                    "due_at": clock.due_at,
                    "done_at": clock.done_at,
                    "hours_left": clock.hours_left,
                }
                for clock in clocks.clocks(incident)
            ],
            many=True,
        ).data


def _text(**kwargs):
    return serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, **kwargs
    )


class IncidentChangeIn(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    detected_at = serializers.DateTimeField(required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    source_user = serializers.UUIDField(required=False, allow_null=True)
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.values), required=False
    )
    description = _text()
    systems_affected = _text()
    actions_taken = _text()
    cause = _text()
    secondary_risk = _text()
    measures = _text()
    malicious = serializers.BooleanField(required=False)
    appi_applies = serializers.BooleanField(required=False)
    gdpr_applies = serializers.BooleanField(required=False)
    preliminary_days = serializers.IntegerField(
        min_value=clocks.PRELIMINARY_MIN, max_value=clocks.PRELIMINARY_MAX, required=False
    )
    preliminary_reported_at = serializers.DateTimeField(required=False, allow_null=True)
    final_reported_at = serializers.DateTimeField(required=False, allow_null=True)
    gdpr_reported_at = serializers.DateTimeField(required=False, allow_null=True)
    owner = serializers.UUIDField(required=False, allow_null=True)
    notice_title_ja = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True
    )
    notice_title_en = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True
    )
    notice_body_ja = serializers.CharField(
        max_length=NOTICE_MAX_LENGTH, required=False, allow_blank=True
    )
    notice_body_en = serializers.CharField(
        max_length=NOTICE_MAX_LENGTH, required=False, allow_blank=True
    )


class IncidentIn(IncidentChangeIn):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)


class TimelineEntryOut(serializers.ModelSerializer):
    text = serializers.CharField(
        source="shown",
        help_text="The entry: as its author wrote it, or the system's entry in the "
        "language asked for (Accept-Language).",
    )
    kind = serializers.CharField(
        help_text="Empty for a person's entry; else what the system recorded: "
        "report_submitted, campaign_sent, notice_published, notice_withdrawn, not_me.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "author", "kind", "text", "created_at"]
        read_only_fields = fields


class TimelineIn(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    at = serializers.DateTimeField(required=False)
