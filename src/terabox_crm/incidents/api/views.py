"""``/api/v1/incidents/``: the incident register (S13) — list, read, open,
change, and each incident's timeline. Admins and privacy officers (the
policy's ``incidents.*``); the campaign and the public notice stay on the
screens, behind a step-up."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.incidents import selectors, services
from terabox_crm.incidents.api.serializers import (
    IncidentChangeIn,
    IncidentIn,
    IncidentOut,
    TimelineEntryOut,
    TimelineIn,
)
from terabox_crm.incidents.models import Incident


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents of the workspace, newest first, with their regulatory clocks."""

    lookup_value_regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # else 404

    lookup_url_kwarg = "incident_id"
    permission_classes = [PolicyPermission]
    permission_action = {
        "GET": "incidents.view",
        "POST": "incidents.manage",
        "PATCH": "incidents.manage",
    }
    object_refusals = {"incidents.manage": _("You cannot change this incident.")}
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = IncidentOut
    request_serializers = {
        "create": IncidentIn,
        "partial_update": IncidentChangeIn,
        "timeline": TimelineIn,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        return selectors.incidents(self.request.membership)

    def create(self, request, *args, **kwargs):
        incoming = IncidentIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        incident = services.incident_create(
            membership=request.membership, values=dict(incoming.validated_data)
        )
        return Response(IncidentOut(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentChangeIn, responses={200: IncidentOut})
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        incoming = IncidentChangeIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.incident_update(
            membership=request.membership, incident=incident, values=dict(incoming.validated_data)
        )
        incident.refresh_from_db()
        return Response(IncidentOut(incident).data)

    @extend_schema(methods=["GET"], request=None, responses={200: TimelineEntryOut(many=True)})
    @extend_schema(methods=["POST"], request=TimelineIn, responses={201: TimelineEntryOut})
    @action(
        detail=True,
        methods=["get", "post"],
        permission_action={"GET": "incidents.view", "POST": "incidents.manage"},
        pagination_class=None,  # at most 500 entries, in one answer (as documented)
    )
    def timeline(self, request, incident_id=None):
        """An incident's timeline: read it, or add an entry."""
        incident = self.get_object()
        if request.method == "GET":
            entries = incident.timeline.all()[:500]
            return Response(TimelineEntryOut(entries, many=True).data)
        incoming = TimelineIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        entry = services.timeline_add(
            membership=request.membership, incident=incident, **incoming.validated_data
        )
        return Response(TimelineEntryOut(entry).data, status=status.HTTP_201_CREATED)
