"""``/api/v1/tickets/``: the queue, opening, replying and changing tickets."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.support import services
from terabox_crm.support.api.serializers import (
    ReplyIn,
    TicketChangeIn,
    TicketIn,
    TicketListParams,
    TicketOut,
)
from terabox_crm.support.models import Ticket


class TicketViewSet(
    QueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Support tickets the caller may see, newest first, with their SLA clock:
    ``sla`` names the deadline that matters now and its state."""

    lookup_url_kwarg = "ticket_id"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "tickets.view", "POST": "tickets.add", "PATCH": "tickets.change"}
    object_refusals = {"tickets.change": _("You cannot change this ticket.")}
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = TicketOut
    request_serializers = {
        "create": TicketIn,
        "partial_update": TicketChangeIn,
        "reply": ReplyIn,
    }
    list_params = TicketListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        params = self.params
        queryset = Ticket.objects.visible_to(self.request.membership)
        if "status" in params:
            queryset = queryset.filter(status=params["status"])
        if params.get("mine"):
            queryset = queryset.filter(assignee_id=self.request.user.pk)
        return queryset

    def create(self, request, *args, **kwargs):
        incoming = TicketIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        # Ids as sent: the service resolves the requester among the records the
        # caller may read and the assignee among the workspace's members.
        ticket = services.ticket_open(
            membership=request.membership,
            data=services.TicketData(
                subject=values["subject"],
                description=values.get("description", ""),
                priority=values["priority"],
                assignee=values.get("assignee"),
                contact=values.get("contact"),
                company=values.get("company"),
            ),
        )
        return Response(TicketOut(ticket).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        incoming = TicketChangeIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        # Only the fields sent change, all of them or none.
        services.ticket_change(membership=request.membership, ticket=ticket, **values)
        return Response(TicketOut(ticket).data)

    @extend_schema(responses={201: TicketOut})
    @action(detail=True, methods=["post"], permission_action={"POST": "tickets.change"})
    def reply(self, request, ticket_id=None):
        """Reply to a ticket

        A reply to the customer stops the first-response clock; with
        ``internal`` it is a note only staff see. Answers the ticket."""
        ticket = self.get_object()
        incoming = ReplyIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.ticket_reply(
            membership=request.membership, ticket=ticket, **incoming.validated_data
        )
        ticket.refresh_from_db()
        return Response(TicketOut(ticket).data, status=status.HTTP_201_CREATED)
