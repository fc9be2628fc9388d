"""``/api/v1/third-party-provisions/`` and ``/api/v1/third-party-receipts/``:
the APPI 確認・記録 records (P4) for auditors, admins and privacy officers,
newest first, cursor-paginated."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from terabox_crm.api import serializers
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.privacy import selectors
from terabox_crm.privacy.models import ProvisionChannel, ProvisionRecord, ThirdPartyReceipt


class ProvisionOut(serializers.Serializer):
    id = serializers.UUIDField()
    recipient = serializers.CharField()
    provided_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=ProvisionChannel.choices)
    reference = serializers.CharField(help_text="The id of the webhook endpoint or export.")
    categories = serializers.ListField(child=serializers.CharField())
    subject_count = serializers.IntegerField()
    subjects = serializers.SerializerMethodField(help_text="The people provided, as contact ids.")
    keep_until = serializers.DateTimeField()

    def get_subjects(self, record) -> list[str]:
        return [str(row.subject_id) for row in record.subjects.all()]


class ReceiptOut(serializers.Serializer):
    id = serializers.UUIDField()
    contact = serializers.UUIDField(source="subject_id")
    provider = serializers.CharField()
    received_on = serializers.DateField()
    categories = serializers.ListField(child=serializers.CharField())
    obtained_how = serializers.CharField()
    consent_by = serializers.CharField()
    consent_at = serializers.DateField()
    consent_evidence = serializers.CharField()
    created_at = serializers.DateTimeField()
    keep_until = serializers.DateTimeField()


class ProvisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Personal data provided to third parties: recipient, when, people, categories."""

    permission_classes = [PolicyPermission]
    permission_action = {"GET": "privacy.records.view"}
    pagination_class = KeysetPagination
    cursor_ordering = "-provided_at"
    serializer_class = ProvisionOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProvisionRecord.objects.none()
        return selectors.provisions(self.request.membership.workspace).prefetch_related("subjects")


class ReceiptViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Personal data received from third parties, with the consent reference."""

    permission_classes = [PolicyPermission]
    permission_action = {"GET": "privacy.records.view"}
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = ReceiptOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ThirdPartyReceipt.objects.none()
        return selectors.receipts(self.request.membership.workspace)
