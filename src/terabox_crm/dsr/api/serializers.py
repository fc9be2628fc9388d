from __future__ import annotations

from terabox_crm.api import serializers
from terabox_crm.dsr.models import DETAILS_MAX_LENGTH, Kind, PrivacyRequest, Status


class PrivacyRequestOut(serializers.ModelSerializer):
    email = serializers.CharField()
    details = serializers.CharField()
    outcome = serializers.CharField()
    subject_ids = serializers.ListField(child=serializers.UUIDField())

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "email",
            "details",
            "language",
            "subject_ids",
            "assignee",
            "received_at",
            "due_at",
            "closed_at",
            "outcome",
        ]


class PrivacyRequestChangeIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    note = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Why the status changed; required when refusing (the person is told).",
    )
    assignee = serializers.UUIDField(
        required=False, allow_null=True, help_text="A privacy officer of the workspace, or null."
    )


class PrivacyRequestListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
