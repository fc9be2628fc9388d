"""``/api/v1/pipelines/`` and ``/api/v1/deals/``: the same services, selectors
and policy actions as the deal screens."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.deals import selectors, services
from terabox_crm.deals.api.serializers import DealIn, DealListParams, DealOut, PipelineOut
from terabox_crm.deals.models import Deal, Pipeline, Stage


class PipelineViewSet(viewsets.ReadOnlyModelViewSet):
    """Pipelines with their ordered stages, in the workspace's order. A deal's
    ``stage`` is one of these stages."""

    lookup_url_kwarg = "pipeline_id"
    permission_classes = [PolicyPermission]
    permission_action = "deals.view"
    pagination_class = KeysetPagination
    cursor_ordering = "position"
    serializer_class = PipelineOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pipeline.objects.none()
        return selectors.pipelines()


class DealViewSet(
    QueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Deals the caller may read, newest first. Amounts are decimal strings in the
    deal's currency; ``probability`` is the deal's own or else its stage's."""

    lookup_url_kwarg = "deal_id"
    permission_classes = [PolicyPermission]
    permission_action = {
        "GET": "deals.view",
        "POST": "deals.add",
        "PUT": "deals.change",
        "PATCH": "deals.change",
        "DELETE": "deals.delete",
    }
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = DealOut
    request_serializers = {"create": DealIn, "update": DealIn, "partial_update": DealIn}
    list_params = DealListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Deal.objects.none()
        membership = self.request.membership
        params = self.params  # validated list filters; none on other actions
        queryset = (
            selectors.search(membership, params["q"])
            if params.get("q")
            else Deal.objects.visible_to(membership)
        )
        for name in ("pipeline", "stage"):
            if name in params:
                queryset = queryset.filter(**{f"{name}_id": params[name]})
        return queryset.select_related("stage")

    def _data(self, validated: dict, *, deal: Deal | None = None) -> services.DealData:
        """The service's input: ids of the company, contact and owner as sent;
        the service decides whether the caller may link them (S6, S7)."""
        stage = Stage.objects.filter(pk=validated["stage"]).first()
        if stage is None:
            raise exceptions.ValidationError({"stage": [_("Choose a stage of this workspace.")]})
        return services.DealData(
            name=validated["name"],
            stage=stage,
            amount=validated.get("amount"),
            currency=validated.get("currency", "JPY"),
            expected_close_date=validated.get("expected_close_date"),
            probability=validated.get("probability"),
            company=validated.get("company"),
            contact=validated.get("contact"),
            owner=validated.get("owner") or (deal.owner if deal else None),
            team=deal.team if deal else None,
            close_reason=validated.get("close_reason"),
        )

    def create(self, request, *args, **kwargs):
        incoming = DealIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        deal = services.deal_create(
            membership=request.membership,
            data=self._data(incoming.validated_data),
        )
        return Response(DealOut(deal).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        deal = self.get_object()
        partial = kwargs.get("partial", False)
        current = {
            "name": deal.name,
            "stage": deal.stage_id,
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "probability": deal.probability,
            "company": deal.company_id,
            "contact": deal.contact_id,
            "owner": deal.owner_id,
            "close_reason": deal.close_reason,
        }
        # The current values in their JSON form: the fields accept nothing else.
        current = DealIn(current).data
        merge = partial and isinstance(request.data, dict)  # else DealIn refuses the body
        incoming = DealIn(data={**current, **request.data} if merge else request.data)
        incoming.is_valid(raise_exception=True)
        deal = services.deal_update(
            membership=request.membership,
            deal=deal,
            data=self._data(incoming.validated_data, deal=deal),
        )
        return Response(DealOut(deal).data)

    def destroy(self, request, *args, **kwargs):
        deal = self.get_object()
        services.deal_delete(membership=request.membership, deal=deal)
        return Response(status=status.HTTP_204_NO_CONTENT)
