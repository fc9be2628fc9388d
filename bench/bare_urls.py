"""The benchmark's URLs: the product's, plus bare DRF lists of the same rows
each product figure reads, with no authentication, no scoping and no
decryption — the floors every product figure is compared with (SPEC §5:
each figure's ratio to a bare DRF list of the same rows, without auth,
scoping or decryption).

A floor serialises the same fields as the product's output, with encrypted
columns passed through as the stored ciphertext.
"""

from django.db.models import F, Prefetch, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from terabox_crm.activities.api.serializers import ActivityOut
from terabox_crm.activities.models import Activity
from terabox_crm.contacts.models import Contact, ContactEmail, ContactPhone, Tag
from terabox_crm.deals.api.serializers import DealOut
from terabox_crm.deals.models import Deal


class _BareValue(serializers.Serializer):
    id = serializers.ReadOnlyField()
    value = serializers.SerializerMethodField()
    label = serializers.CharField()
    is_primary = serializers.BooleanField()

    def get_value(self, row) -> str:
        return str(row.__dict__["value"])


class _BareContactOut(serializers.Serializer):
    """ContactOut's fields; the encrypted ones as stored."""

    ENCRYPTED = (
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "job_title",
        "source_detail",
        "notes",
    )
    id = serializers.UUIDField()
    company_id = serializers.UUIDField(allow_null=True)
    stage = serializers.CharField()
    owner_id = serializers.ReadOnlyField()
    team_id = serializers.UUIDField(allow_null=True)
    tag_ids = serializers.SerializerMethodField()
    source = serializers.CharField()
    emails = _BareValue(many=True, source="emails.all")
    phones = _BareValue(many=True, source="phones.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_tag_ids(self, contact) -> list[str]:
        return [str(tag.pk) for tag in contact.tags.all()]

    def to_representation(self, contact):
        data = super().to_representation(contact)
        for name in self.ENCRYPTED:
            data[name] = str(contact.__dict__.get(name) or "")
        return data


class _Pagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


def plain_email_ids(workspace_id: str, email: str):
    """Contact ids with ``email`` in the unencrypted reference table."""
    return RawSQL(
        "SELECT contact_id FROM bench_plain_email WHERE workspace_id = %s AND email = %s",
        [workspace_id, email],
    )


def bare_contacts():
    """The contact list's query (same joins and prefetches), unscoped."""
    return (
        Contact.objects.with_scopes_disabled()
        .select_related("owner", "company", "team")
        .prefetch_related(
            Prefetch(
                "emails",
                queryset=ContactEmail.objects.with_scopes_disabled().order_by("-is_primary", "id"),
            ),
            Prefetch(
                "phones",
                queryset=ContactPhone.objects.with_scopes_disabled().order_by("-is_primary", "id"),
            ),
            Prefetch("tags", queryset=Tag.objects.with_scopes_disabled().order_by("name")),
        )
    )


class BareContactList(generics.ListAPIView):
    authentication_classes = []
    permission_classes = []
    serializer_class = _BareContactOut
    pagination_class = _Pagination

    def get_queryset(self):
        queryset = bare_contacts()
        params = self.request.query_params
        if params.get("workspace"):
            queryset = queryset.filter(workspace_id=params["workspace"])
        if params.get("email"):
            queryset = queryset.filter(
                pk__in=plain_email_ids(params["workspace"], params["email"].lower())
            )
        return queryset


class _BareDealOut(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = DealOut.Meta.fields  # the product's own fields, as stored

    def get_name(self, deal) -> str:
        return str(deal.__dict__["name"])


class BareBoard(APIView):
    """The rows the deal board shows: the first ``per_stage`` deals of each
    stage of a pipeline, in board order."""

    authentication_classes = []
    permission_classes = []

    def get(self, request):
        per_stage = int(request.query_params.get("per_stage", 50))
        ranked = (
            Deal.objects.with_scopes_disabled()
            .filter(pipeline_id=request.query_params["pipeline"])
            .select_related("owner", "company")
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("stage_id")],
                    order_by=[F("board_position"), F("created_at"), F("id")],
                )
            )
            .filter(rank__lte=per_stage)
            .order_by("stage_id", "board_position", "created_at", "id")
        )
        return Response(_BareDealOut(ranked, many=True).data)


class _BareActivityOut(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ActivityOut.Meta.fields  # the product's own fields, as stored

    def get_subject(self, row) -> str:
        return str(row.__dict__["subject"])

    def get_body(self, row) -> str:
        return str(row.__dict__["body"])


class BareContactTimeline(APIView):
    """The rows a contact page shows: the contact and its newest activities."""

    authentication_classes = []
    permission_classes = []

    def get(self, request, contact_id):
        contact = bare_contacts().get(pk=contact_id)
        activities = (
            Activity.objects.with_scopes_disabled()
            .filter(contact_id=contact_id)
            .select_related("owner")
            .order_by("-occurred_at", "-id")[:100]
        )
        return Response(
            {
                "contact": _BareContactOut(contact).data,
                "activities": _BareActivityOut(activities, many=True).data,
            }
        )


urlpatterns = [
    path("bench/bare-contacts/", BareContactList.as_view()),
    path("bench/bare-board/", BareBoard.as_view()),
    path("bench/bare-contacts/<uuid:contact_id>/timeline/", BareContactTimeline.as_view()),
    path("", include("terabox_crm.urls")),
]
