from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as forms_fields

from terabox_crm.api import serializers
from terabox_crm.core import jsonbody
from terabox_crm.imports import reasons, selectors, storage
from terabox_crm.imports.models import Import, OnDuplicate, Resource, Source


class FormBoolean(serializers.BooleanField):
    """A boolean of a multipart form, where every value is text: exactly
    ``true`` or ``false`` (or a JSON boolean), nothing else coerced."""

    def to_internal_value(self, data):
        if data in ("true", "false"):
            return data == "true"
        return super().to_internal_value(data)


class ImportIn(serializers.Serializer):
    # A multipart form's file (the one field the API base has no strict form of).
    file = forms_fields.FileField(help_text="The CSV (UTF-8 or Shift_JIS/CP932) or XLSX file.")
    resource = serializers.ChoiceField(choices=Resource.choices, default=Resource.CONTACTS)
    mapping = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=20_000,
        help_text="A JSON object of the file's column names and field keys "
        '(`{"Last name": "family_name", "Email": "email"}`); a column not named is not imported. '
        "Without it, columns are mapped by their Japanese or English names.",
    )
    source = serializers.ChoiceField(choices=Source.choices, default=Source.IMPORT)
    on_duplicate = serializers.ChoiceField(choices=OnDuplicate.choices, default=OnDuplicate.SKIP)
    provider = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    obtained_how = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=2000
    )
    consent_by = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    consent_at = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)
    consent_evidence = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=2000
    )
    dry_run = FormBoolean(
        default=True, help_text="Check every row and write nothing (the default)."
    )

    def validate_mapping(self, value):
        if not value:
            return None
        try:
            found = jsonbody.parse(value, limit=20_000)
        except jsonbody.BodyRefused:
            found = None
        if not isinstance(found, dict) or not all(
            isinstance(key, str) and isinstance(item, str) for key, item in found.items()
        ):
            raise serializers.ValidationError(
                _("Give the mapping as an object of column names and fields.")
            )
        return found


class ImportRunIn(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)


class ImportColumnOut(serializers.Serializer):
    column = serializers.CharField()
    field = serializers.CharField()


class ImportOut(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    columns = serializers.SerializerMethodField()
    third_party = serializers.SerializerMethodField()

    class Meta:
        model = Import
        fields = [
            "id",
            "resource",
            "file_format",
            "encoding",
            "status",
            "dry_run",
            "source",
            "on_duplicate",
            "channel",
            "columns",
            "size",
            "sha256",
            "total",
            "progress",
            "percent",
            "created",
            "updated",
            "skipped",
            "errors",
            "flagged",
            "failure",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "third_party",
        ]

    @extend_schema_field(ImportColumnOut(many=True))
    def get_columns(self, item: Import) -> list[dict]:
        headers = storage.headers_of(item)
        mapping = list(item.mapping or [])
        return [
            {"column": header, "field": mapping[position] if position < len(mapping) else ""}
            for position, header in enumerate(headers)
        ]

    def get_third_party(self, item: Import) -> bool:
        return item.source == Source.THIRD_PARTY


class ImportRowOut(serializers.Serializer):
    number = serializers.IntegerField()
    outcome = serializers.CharField()
    code = serializers.CharField()
    reason = serializers.CharField()
    field = serializers.CharField()
    object_id = serializers.UUIDField(allow_null=True)
    suppressed = serializers.BooleanField()


class ImportDetailOut(ImportOut):
    rows = serializers.SerializerMethodField()

    class Meta(ImportOut.Meta):
        fields = [*ImportOut.Meta.fields, "rows"]

    @extend_schema_field(ImportRowOut(many=True))
    def get_rows(self, item: Import) -> list[dict]:
        """The first rows not simply created: skips, updates, errors, flags."""
        return [
            {
                "number": row.number,
                "outcome": row.outcome,
                "code": row.code,
                "reason": reasons.reason(row.code) if row.code else "",
                "field": row.field,
                "object_id": row.object_id,
                "suppressed": row.suppressed,
            }
            for row in selectors.issues_of(item)
        ]
