"""``/api/v1/privacy-requests/``: the privacy officers' queue (P9)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.dsr import selectors, services
from terabox_crm.dsr.api.serializers import (
    PrivacyRequestChangeIn,
    PrivacyRequestListParams,
    PrivacyRequestOut,
)
from terabox_crm.dsr.models import PrivacyRequest


class PrivacyRequestViewSet(
    QueryParamsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Verified data-subject requests of the workspace, soonest due first.
    Only privacy officers read and answer them."""

    lookup_url_kwarg = "request_id"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "dsr.view", "PATCH": "dsr.handle"}
    object_refusals = {"dsr.handle": _("You cannot change this request.")}
    pagination_class = KeysetPagination
    cursor_ordering = "due_at"
    serializer_class = PrivacyRequestOut
    request_serializers = {"partial_update": PrivacyRequestChangeIn}
    list_params = PrivacyRequestListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrivacyRequest.objects.none()
        queryset = selectors.requests_for(self.request.membership)
        for name in ("status", "kind"):
            if name in self.params:
                queryset = queryset.filter(**{name: self.params[name]})
        return queryset

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        incoming = PrivacyRequestChangeIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        # Services run outside any transaction of ours (their refusals are
        # recorded after their own rollback), so the status, the change more
        # likely to be refused, goes first: a refused status changes nothing.
        if "status" in values:
            item = services.request_set_status(
                membership=request.membership,
                request=item,
                status=values["status"],
                note=values.get("note", ""),
            )
        if "assignee" in values:
            item = services.request_assign(
                membership=request.membership, request=item, assignee_id=values["assignee"]
            )
        item.refresh_from_db()
        return Response(PrivacyRequestOut(item).data)
