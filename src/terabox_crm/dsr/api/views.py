"""``/api/v1/privacy-requests/``: the privacy officers' queue (P9).

What the staff screen does, the API does, under the same policy (privacy
officers: ``dsr.view`` to read, ``dsr.handle`` for the rest): record a
request received by email, phone, post or in person (POST), change the
status and the assignee (PATCH), send the person a reply
(``…/{id}/replies/``), prepare the access export (``…/{id}/exports/``), try a
failed one again (``…/exports/{export_id}/retry/``) and fetch the file the
person was sent while its link is valid (``…/exports/{export_id}/download/``,
counted and audited, token scope ``export``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_scopes import scope
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.api.renderers import JSONRenderer
from terabox_crm.api.schema import answers
from terabox_crm.dsr import export, selectors, services
from terabox_crm.dsr.api.serializers import (
    AccessExportOut,
    PrivacyRequestChangeIn,
    PrivacyRequestListParams,
    PrivacyRequestOut,
    PrivacyRequestRecordIn,
    RequestReplyIn,
    RequestReplyOut,
)
from terabox_crm.dsr.models import AccessExport, PrivacyRequest
from terabox_crm.refusals import Refusal

EXPORT_ID = r"(?P<export_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"


class ExportGone(exceptions.APIException):
    """The staff copy fetched already, or its link expired (a security event)."""

    status_code = status.HTTP_410_GONE
    default_code = "export_gone"
    problem_type = "export-gone"


class ExportConflict(exceptions.APIException):
    """The export or its request is not in a state that allows this (the
    guarded exports answer the same type, ``exports.api.views.Conflict``)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "export_state"
    problem_type = "export-state"


class ZipRenderer(JSONRenderer):
    """Lets a client ask for ``application/zip`` (the download's type); an
    error answered instead is still problem details in JSON."""

    media_type = "application/zip"
    # Not a ``?format=`` of its own: the file is the view's answer, not a rendering.
    format = "json"


class PrivacyRequestViewSet(
    QueryParamsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Verified data-subject requests of the workspace, soonest due first.
    Only privacy officers read and answer them."""

    lookup_url_kwarg = "request_id"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "dsr.view", "PATCH": "dsr.handle", "POST": "dsr.handle"}
    token_scope = None  # by action: the download needs the "export" scope
    object_refusals = {"dsr.handle": _("You cannot change this request.")}
    pagination_class = KeysetPagination
    cursor_ordering = "due_at"
    serializer_class = PrivacyRequestOut
    request_serializers = {
        "create": PrivacyRequestRecordIn,
        "partial_update": PrivacyRequestChangeIn,
        "replies": RequestReplyIn,
    }
    list_params = PrivacyRequestListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrivacyRequest.objects.none()
        queryset = selectors.requests_for(self.request.membership)
        for name in ("status", "kind", "channel"):
            if name in self.params:
                queryset = queryset.filter(**{name: self.params[name]})
        return queryset

    @extend_schema(request=PrivacyRequestRecordIn, responses={201: PrivacyRequestOut})
    def create(self, request, *args, **kwargs):
        """Record a request received by email, phone, post or in person

        The officer says how they checked who the person is. The request is
        due counting from the day it arrived, holds the named contacts and
        those with the email address, and the person is told at that address
        that it was recorded."""
        incoming = PrivacyRequestRecordIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        item = services.request_record(
            membership=request.membership,
            kind=values["kind"],
            channel=values["channel"],
            email=values.get("email", ""),
            postal_address=values.get("postal_address", ""),
            identity_check=values["identity_check"],
            details=values.get("details", ""),
            language=values.get("language", ""),
            received_on=values.get("received_on"),
            subject_ids=[str(subject_id) for subject_id in values.get("subject_ids", [])],
        )
        return Response(PrivacyRequestOut(item).data, status=status.HTTP_201_CREATED)

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

    @extend_schema(methods=["GET"], responses={200: RequestReplyOut(many=True)})
    @extend_schema(methods=["POST"], request=RequestReplyIn, responses={201: RequestReplyOut})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a request's few
    def replies(self, request, request_id=None):
        """List or send replies to the person

        GET: the replies sent so far, oldest first. POST: email a message to
        the person in their language (kept, encrypted, and audited); for a
        person answered by post (no email address), record the letter an
        officer sent (``by_post``)."""
        item = self.get_object()
        if request.method == "GET":
            with scope(workspace=item.workspace_id):
                rows = list(item.replies.order_by("sent_at", "id"))
            return Response(RequestReplyOut(rows, many=True).data)
        incoming = RequestReplyIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        reply = services.request_reply(
            membership=request.membership, request=item, body=incoming.validated_data["body"]
        )
        return Response(RequestReplyOut(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: AccessExportOut(many=True)})
    @extend_schema(methods=["POST"], request=None, responses={202: AccessExportOut})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a request's few
    def exports(self, request, request_id=None):
        """List or prepare access exports

        GET: the request's exports, newest first, with their state and, for a
        failed one, the reason. POST (an open access request only): queue the
        export; the job builds it, retries a failed build with back-off, and
        emails the person the download link."""
        item = self.get_object()
        if request.method == "GET":
            with scope(workspace=item.workspace_id):
                rows = list(AccessExport.objects.filter(request=item).order_by("-created_at"))
            return Response(AccessExportOut(rows, many=True).data)
        created = services.export_request(membership=request.membership, request=item)
        with scope(workspace=item.workspace_id):
            created.refresh_from_db()
        return Response(AccessExportOut(created).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: AccessExportOut})
    @action(detail=True, methods=["post"], url_path=f"exports/{EXPORT_ID}/retry")
    @answers(409)  # not a failed export, or no longer an open access request
    def export_retry(self, request, request_id=None, export_id=None):
        """Try a failed access export again

        Only a failed export of an open access request (else 409
        `export-state`): it starts over with fresh attempts, under a new key."""
        item = self.get_object()
        try:
            retried = services.export_retry(
                membership=request.membership, request=item, export_id=export_id
            )
        except Refusal as error:
            if error.status == status.HTTP_409_CONFLICT:
                raise ExportConflict(error.text) from None
            raise
        with scope(workspace=item.workspace_id):
            retried.refresh_from_db()
        return Response(AccessExportOut(retried).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path=f"exports/{EXPORT_ID}/download",
        permission_action="dsr.handle",
        token_scope="export",  # noqa: S106  # nosec B106  # the name of a token scope
        renderer_classes=[JSONRenderer, ZipRenderer],
    )
    @answers(410)  # downloaded once already, or expired
    def export_download(self, request, request_id=None, export_id=None):
        """Download an access export

        The zip the person was sent (JSON and CSV), decrypted as it streams:
        once, while its link is valid, counted and audited. A second fetch
        or an expired link answers 410 (and is a security event); a pending
        or failed export answers 404."""
        item = self.get_object()
        try:
            found = services.export_fetch(
                membership=request.membership, request=item, export_id=export_id
            )
        except Refusal as error:
            if error.code == "export_not_ready":
                raise exceptions.NotFound(error.text) from None
            if error.status == 410:
                raise ExportGone(error.text) from None
            raise
        return export.download_response(found)
