from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.api import serializers
from terabox_crm.exports.models import Export, Format
from terabox_crm.exports.resources import RESOURCES


class ExportIn(serializers.Serializer):
    resource = serializers.ChoiceField(choices=sorted(RESOURCES))
    format = serializers.ChoiceField(choices=Format.choices)
    purpose = serializers.CharField(max_length=40)
    filters = serializers.JSONField(
        required=False,
        default=dict,
        help_text="The list's query parameters, as an object of strings "
        '(`{"stage": "customer", "q": "Yamada"}`).',
    )
    fields = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=40
    )
    recipient = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def validate_filters(self, value):
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(item, str) and len(item) <= 200
            for key, item in value.items()
        ):
            raise serializers.ValidationError(
                _("Give the filters as an object of strings (at most 200 characters each).")
            )
        return value


class ExportOut(serializers.ModelSerializer):
    purpose = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    third_party = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField(
        help_text="Why a failed export failed, in the caller's language (empty otherwise)."
    )

    class Meta:
        model = Export
        fields = [
            "id",
            "resource",
            "format",
            "purpose",
            "fields",
            "status",
            "channel",
            "matched",
            "excluded_before",
            "rows",
            "excluded",
            "progress",
            "percent",
            "sha256",
            "size",
            "approval_required",
            "requested_by",
            "approved_by",
            "approved_at",
            "created_at",
            "finished_at",
            "expires_at",
            "downloaded_at",
            "third_party",
            "failure",
            "failure_reason",
        ]

    def get_purpose(self, item: Export) -> str:
        return item.purpose.code

    def get_third_party(self, item: Export) -> bool:
        return bool(item.recipient)

    def get_failure_reason(self, item: Export) -> str:
        return item.failure_text
