"""``/api/v1/audit-events/`` and ``/api/v1/security-events/``: the current
workspace's trail, read-only, keyset-paginated, through the same policy
actions as the web pages (``audit.view``, ``security.view``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.audit.models import AuditEvent
from terabox_crm.auditlog import selectors
from terabox_crm.auditlog.api.serializers import (
    AuditEventDetailOut,
    AuditEventListParams,
    AuditEventOut,
    SecurityEventListParams,
)


@extend_schema_view(retrieve=extend_schema(responses=AuditEventDetailOut))
class AuditEventViewSet(QueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """The audit trail of the workspace the request acts in, newest first. The list
    names people by id only; one event read alone also shows its personal side
    (IP address, user agent, before/after values), decrypted."""

    permission_classes = [PolicyPermission]
    permission_action = "audit.view"
    pagination_class = KeysetPagination
    cursor_ordering = "-seq"
    serializer_class = AuditEventOut
    lookup_field = "hash"
    lookup_url_kwarg = "event_hash"
    lookup_value_regex = "[0-9a-f]{64}"
    security_only = False
    list_params = AuditEventListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no workspace
            return AuditEvent.objects.none()
        # Only the current workspace's chain: another workspace's event is a 404.
        filters = selectors.TrailFilters(
            action=self.params.get("action", ""), security_only=self.security_only
        )
        queryset = selectors.events_of(self.request.workspace, filters)
        if self.action == "retrieve":
            queryset = queryset.select_related("detail")
        return queryset

    def retrieve(self, request, *args, **kwargs):
        event: AuditEvent = self.get_object()
        entry = selectors.present([event])[0]
        return Response(AuditEventDetailOut(entry).data)


class SecurityEventViewSet(AuditEventViewSet):
    """Security events only (``security.*``): failed sign-ins, throttling, refusals,
    probing. Kept for a year (S5, S7)."""

    permission_action = "security.view"
    security_only = True
    list_params = SecurityEventListParams
