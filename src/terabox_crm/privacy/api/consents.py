"""``/api/v1/consents/``: a contact's consent ledger (P7).

``GET ?contact=<id>`` lists the contact's grant and withdraw events, newest
first (without ``contact``: the workspace's whole ledger, for admins,
privacy officers and auditors); ``POST`` appends one. Bad input (withdrawing a consent never given, an
unknown purpose or channel, a date in the future) answers problem details
with the reason, and nothing is written.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from terabox_crm.api import serializers
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.api.schema import answers
from terabox_crm.core import guards
from terabox_crm.privacy import services, subjects
from terabox_crm.privacy.models import ConsentChannel, ConsentEvent, ConsentKind


class ConsentOut(serializers.Serializer):
    id = serializers.UUIDField()
    contact = serializers.UUIDField(source="subject_id")
    purpose = serializers.CharField(source="purpose.code")
    purpose_label = serializers.CharField(source="purpose.name")
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    evidence = serializers.CharField()
    policy_version = serializers.IntegerField(
        source="policy_version.number",
        allow_null=True,
        help_text="The privacy policy version in force when it happened.",
    )
    has_file = serializers.SerializerMethodField()

    def get_has_file(self, event) -> bool:
        return hasattr(event, "file")


class ConsentIn(serializers.Serializer):
    contact = serializers.UUIDField()
    purpose = serializers.CharField(max_length=40, help_text="A purpose code of the workspace.")
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    channel = serializers.ChoiceField(
        choices=ConsentChannel.choices, required=False, default=ConsentChannel.API
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ConsentListParams(serializers.Serializer):
    contact = serializers.UUIDField(
        required=False,
        help_text="The contact whose ledger to list. Without it, the whole workspace's "
        "ledger (admins, privacy officers and auditors).",
    )


class ConsentViewSet(
    QueryParamsMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The consent ledger of a contact: append-only grant and withdraw events."""

    permission_classes = [PolicyPermission]
    # The contact named in the query or body may not be in this workspace.
    extra_problem_statuses = (404,)
    permission_action = {"GET": "privacy.consent.view", "POST": "privacy.consent.record"}
    pagination_class = KeysetPagination
    cursor_ordering = "-recorded_at"
    serializer_class = ConsentOut
    list_params = ConsentListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConsentEvent.objects.none()
        membership = self.request.membership
        contact = self.params.get("contact")
        if contact is None:
            guards.require(membership, "privacy.records.view")
            return ConsentEvent.objects.filter(workspace_id=membership.workspace_id).select_related(
                "purpose", "file", "policy_version"
            )
        if contact not in subjects.readable(membership, [contact]):
            raise guards.refusal(
                membership,
                "privacy.consent.view",
                message=guards.NO_PERMISSION,
                code="not_found",
                status=404,
            )
        return ConsentEvent.objects.filter(
            workspace_id=membership.workspace_id, subject_id=contact
        ).select_related("purpose", "file", "policy_version")

    @extend_schema(request=ConsentIn, responses={201: ConsentOut})
    @answers(409)  # an erased person
    def create(self, request, *args, **kwargs):
        incoming = ConsentIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        record = (
            services.consent_grant
            if values["kind"] == ConsentKind.GRANT
            else services.consent_withdraw
        )
        event = record(
            membership=request.membership,
            subject_id=values["contact"],
            purpose=values["purpose"],
            channel=values["channel"],
            occurred_at=values.get("occurred_at"),
            evidence=values.get("evidence", ""),
        )
        return Response(ConsentOut(event).data, status=status.HTTP_201_CREATED)
