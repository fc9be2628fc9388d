"""``GET /api/v1/data-inventory``: the data inventory as JSON (P1).

The same rows as the page, grouped by category, with stable codes (model
label, field name, category, purpose and retention codes) beside labels in
the request's language (``Accept-Language``).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from terabox_crm.api import serializers
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.privacy import selectors


class PurposeOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class RetentionOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    days = serializers.IntegerField(
        allow_null=True, help_text="Upper bound in days; null while the account or record exists."
    )


class PersonalFieldOut(serializers.Serializer):
    model = serializers.CharField(help_text="app_label.ModelName, e.g. accounts.User.")
    model_label = serializers.CharField()
    field = serializers.CharField()
    field_label = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    purposes = PurposeOut(many=True)
    retention = RetentionOut()
    encrypted = serializers.BooleanField(help_text="Stored encrypted (AES-256-GCM) at rest.")
    note = serializers.CharField(allow_blank=True)


class CategoryOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    fields = PersonalFieldOut(many=True)


class DataInventoryOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Number of personal fields.")
    categories = CategoryOut(many=True)


class DataInventoryView(APIView):
    """Every personal field the product stores, by category."""

    permission_classes = [PolicyPermission]
    permission_action = "privacy.inventory.view"

    @extend_schema(responses=DataInventoryOut, operation_id="data_inventory")
    def get(self, request):
        """Get the data inventory

        Every personal field the product stores, grouped by category, with its
        purposes, retention and whether it is encrypted at rest (P1). Labels are
        in the request's language; codes are stable."""
        groups = selectors.inventory_by_category()
        body = {
            "count": sum(len(group.rows) for group in groups),
            "categories": [
                {
                    "code": group.code,
                    "label": group.label,
                    "fields": [row.as_dict() for row in group.rows],
                }
                for group in groups
            ],
        }
        return Response(DataInventoryOut(body).data)
