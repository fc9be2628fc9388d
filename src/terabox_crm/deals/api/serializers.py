from __future__ import annotations

from terabox_crm.api import serializers
from terabox_crm.deals.models import (
    CLOSE_REASON_MAX_LENGTH,
    CURRENCIES,
    NAME_MAX_LENGTH,
    Deal,
    Pipeline,
    Stage,
)


class StageOut(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "position", "kind", "probability"]


class PipelineOut(serializers.ModelSerializer):
    stages = StageOut(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "stages", "created_at"]


class DealOut(serializers.ModelSerializer):
    name = serializers.CharField()
    close_reason = serializers.CharField(
        read_only=True,
        help_text="Why the deal was won or lost (empty while open); set with a stage change.",
    )
    probability = serializers.IntegerField(source="effective_probability")

    class Meta:
        model = Deal
        fields = [
            "id",
            "name",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "company",
            "contact",
            "owner",
            "team",
            "closed_at",
            "close_reason",
            "stage_entered_at",
            "created_at",
            "updated_at",
        ]


class DealIn(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    stage = serializers.UUIDField()
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False, default="JPY")
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    probability = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100
    )
    company = serializers.UUIDField(required=False, allow_null=True)
    contact = serializers.UUIDField(required=False, allow_null=True)
    owner = serializers.UUIDField(required=False, allow_null=True)
    close_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CLOSE_REASON_MAX_LENGTH,
        help_text="Why the deal was won or lost; kept while it is in a won or lost stage.",
    )


class DealListParams(serializers.Serializer):
    pipeline = serializers.UUIDField(required=False, help_text="Pipeline id.")
    stage = serializers.UUIDField(required=False, help_text="Stage id.")
    q = serializers.CharField(required=False, max_length=200, help_text="Search deal names.")
