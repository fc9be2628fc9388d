"""``/api/v1/webhook-endpoints/``: the current workspace's endpoints for admins
(``webhooks.manage``) — list, read, add, change, delete — and each
endpoint's delivery history (``…/{id}/deliveries/``).

Adding an endpoint over a *session* needs a fresh step-up, as on the web
page; with a personal access token (``write`` scope) it does not, because
creating the token already required one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.accounts.stepup import has_fresh_step_up, step_up_required_response
from terabox_crm.api.authentication import token_scopes
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.webhooks import selectors, services
from terabox_crm.webhooks.api.serializers import (
    DeliveryOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
)
from terabox_crm.webhooks.forms import FIELD_OF_CODE
from terabox_crm.webhooks.models import Endpoint


def _as_api_error(error: DjangoValidationError) -> exceptions.ValidationError:
    fields: dict[str, list[str]] = {}
    for item in error.error_list:
        message = item.message % item.params if item.params else item.message
        fields.setdefault(FIELD_OF_CODE.get(item.code, "url"), []).append(str(message))
    return exceptions.ValidationError(fields)


class EndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints of the workspace the request acts in: each receives the
    events it subscribes to as signed POST requests, retried with back-off."""

    permission_classes = [PolicyPermission]
    permission_action = "webhooks.manage"
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = EndpointOut
    request_serializers = {"create": EndpointIn, "partial_update": EndpointIn}
    lookup_url_kwarg = "endpoint_id"
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Endpoint.objects.none()
        return selectors.endpoints_of(self.request.membership)

    @extend_schema(responses={201: EndpointCreatedOut})
    def create(self, request):
        if token_scopes(request) is None and not has_fresh_step_up(request):
            return step_up_required_response(request._request)
        data = EndpointIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = services.endpoint_create(
                membership=request.membership,
                url=data.validated_data["url"],
                description=data.validated_data.get("description", ""),
                event_names=data.validated_data["events"],
                active=data.validated_data["active"],
                purpose=data.validated_data["purpose"],
                third_party=data.validated_data["third_party"],
                recipient=data.validated_data["recipient"],
            )
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from None
        body = {**EndpointOut(created.endpoint).data, "secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request, endpoint_id=None):
        endpoint = self.get_object()
        data = EndpointIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            services.endpoint_update(
                membership=request.membership,
                endpoint=endpoint,
                url=values.get("url", endpoint.url),
                description=values.get("description", endpoint.description),
                event_names=values.get("events", endpoint.events),
                active=values.get("active", endpoint.active),
                purpose=values.get("purpose"),
                third_party=values.get("third_party"),
                recipient=values.get("recipient"),
            )
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from None
        return Response(EndpointOut(endpoint).data)

    def perform_destroy(self, instance):
        services.endpoint_delete(membership=self.request.membership, endpoint=instance)

    @extend_schema(responses=DeliveryOut(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, endpoint_id=None):
        """List an endpoint's deliveries

        Newest first: each event sent or to be sent, its attempts and the last
        status code or error."""
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.deliveries_of(request.membership, endpoint))
        return self.get_paginated_response(DeliveryOut(page, many=True).data)
