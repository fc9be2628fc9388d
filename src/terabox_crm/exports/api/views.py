"""``/api/v1/exports/``: guarded exports through the API (S4, S5, P3).

``POST`` asks for one (resource, format, purpose, the list's filters, the
columns, a third-party recipient): the same services as the web form, with
malformed filters refused as problem details instead of ignored. ``GET``
lists one's exports (admins: every export) with their progress;
``…/{id}/approve/`` is a second admin's approval; ``…/{id}/download/`` hands
the file out once. Every call needs a token with the ``export`` scope — the
API's stand-in for the step-up a script cannot do (S4); a signed-in browser
session needs a fresh step-up instead.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import dateformat, timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.accounts.stepup import has_fresh_step_up, step_up_required_response
from terabox_crm.api.authentication import token_scopes
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.renderers import JSONRenderer
from terabox_crm.api.schema import answers
from terabox_crm.exports import selectors, services, writers
from terabox_crm.exports.api.serializers import ExportIn, ExportOut
from terabox_crm.exports.models import Export
from terabox_crm.refusals import Refusal


class FileRenderer(JSONRenderer):
    """Lets a client accept the file's type; an error is still problem details."""

    media_type = "*/*"
    format = "json"


class Gone(exceptions.APIException):
    """A second download or an expired link (recorded as a security event)."""

    status_code = status.HTTP_410_GONE
    default_code = "export_gone"
    problem_type = "export-gone"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "export_state"
    problem_type = "export-state"


def _answered(error: Refusal):
    """A refusal of the export's state as 410 or 409 problem details (the
    API base answers the others)."""
    if error.status == 410:
        return Gone(error.text)
    if error.status == 409:
        return Conflict(error.text)
    return error


def _needs_step_up(request) -> bool:
    return token_scopes(request) is None and not has_fresh_step_up(request)


class ExportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Exports of contacts, companies, deals, tickets and activities."""

    lookup_url_kwarg = "guarded_export_id"
    # A malformed id is a 404 at routing (the approve and download actions
    # take the id straight to the service).
    lookup_value_regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "exports.view", "POST": "exports.create"}
    # Reading the list and the progress needs ``read``; asking, approving and
    # downloading need ``export`` (S4: a token's stand-in for the step-up).
    token_scope = {"GET": "read", "POST": "export"}
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = ExportOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Export.objects.none()
        return selectors.exports_for(self.request.membership)

    @extend_schema(request=ExportIn, responses={202: ExportOut})
    def create(self, request, *args, **kwargs):
        """Ask for an export

        Answered at once with ``status`` ``counting``: a job counts the rows
        through the purpose gate (``progress``: rows counted so far), then
        gives ``matched`` and the people the gate leaves out
        (``excluded_before`` by reason). Above the workspace's threshold the
        export then waits for a second admin (``status`` ``awaiting``), else
        the job prepares it: poll the export for ``progress`` and ``status``
        ``ready``. A failed export says why (``failure``, ``failure_reason``)."""
        if _needs_step_up(request):
            return step_up_required_response(request)
        incoming = ExportIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        item = services.export_request(
            membership=request.membership,
            resource=values["resource"],
            format=values["format"],
            purpose=values["purpose"],
            params=values["filters"],
            fields=values["fields"],
            recipient=values["recipient"],
            channel="api",
            strict=True,
        )
        item = self.get_queryset().get(pk=item.pk)
        return Response(ExportOut(item).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ExportOut})
    @action(detail=True, methods=["post"], permission_action="exports.approve")
    @answers(409)  # not waiting for approval
    def approve(self, request, guarded_export_id=None):
        """Approve another member's export

        Only an admin or owner, never the requester (403, recorded)."""
        if _needs_step_up(request):
            return step_up_required_response(request)
        try:
            services.export_approve(membership=request.membership, export_id=guarded_export_id)
        except Refusal as error:
            raise _answered(error) from None
        return Response(ExportOut(self.get_queryset().get(pk=guarded_export_id)).data)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        permission_action="exports.create",
        token_scope="export",  # noqa: S106  # nosec B106  # the name of a token scope
        renderer_classes=[JSONRenderer, FileRenderer],
    )
    @answers(409, 410)  # not ready yet; downloaded once already or expired
    def download(self, request, guarded_export_id=None):
        """Download the file, once

        Decrypted as it streams, then destroyed. A second download or an
        expired link answers 410 (recorded as a security event)."""
        if _needs_step_up(request):
            return step_up_required_response(request)
        try:
            item = services.export_download(
                membership=request.membership, export_id=guarded_export_id
            )
        except Refusal as error:
            raise _answered(error) from None
        response = StreamingHttpResponse(
            services.export_stream(item), content_type=writers.CONTENT_TYPES[item.format]
        )
        stamp = dateformat.format(timezone.localtime(item.created_at), "Ymd-Hi")  # a file name
        response["Content-Disposition"] = (
            f'attachment; filename="{item.resource}-{stamp}.{item.format}"'
        )
        response["Cache-Control"] = "no-store"
        return response
