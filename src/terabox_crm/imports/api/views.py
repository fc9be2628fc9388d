"""``/api/v1/imports/``: imports of contacts and companies (SPEC §2, P4).

``POST`` (multipart) uploads a CSV or XLSX file with its options and the
mapping of its columns, and starts a dry run (the default) or the import;
``GET`` lists one's imports (admins: every import) and shows one with its
counts, status, progress and the rows not simply created;
``…/{id}/run/`` applies an import after its dry run; ``…/{id}/report/``
is the report of every row (CSV: row numbers, outcomes, reasons — no value
of the file). The same services as the screens, with bad input answered
as problem details (``unknown-column``, ``bad-encoding``, ``too-large``,
``unsupported-file-type``) and nothing kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.parsers import JSONParser
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.renderers import JSONRenderer
from terabox_crm.api.schema import answers
from terabox_crm.imports import selectors, services, storage, uploads
from terabox_crm.imports.api.serializers import ImportDetailOut, ImportIn, ImportOut, ImportRunIn
from terabox_crm.imports.models import Import
from terabox_crm.imports.report import report_lines
from terabox_crm.refusals import Refusal


class FileRenderer(JSONRenderer):
    """Lets a client accept the report's type; an error is still problem details."""

    media_type = "*/*"
    format = "json"


class ImportProblem(exceptions.APIException):
    """A refused file or option, as problem details with a stable type."""

    def __init__(self, error: Refusal, status_code: int, problem_type: str) -> None:
        self.status_code = status_code
        self.problem_type = problem_type
        super().__init__(error.text, code=error.code)


TYPES = {
    "too_large": (413, "too-large"),
    "unsupported_file_type": (415, "unsupported-file-type"),
    "bad_encoding": (400, "bad-encoding"),
    "empty_file": (400, "empty-file"),
    "no_header": (400, "no-header"),
    "unknown_column": (400, "unknown-column"),
    "unknown_field": (400, "unknown-field"),
    "mapped_twice": (400, "mapped-twice"),
    "name_not_mapped": (400, "name-not-mapped"),
    "import_state": (409, "import-state"),
}

# The file's types, as the upload part declares them (the server reads the
# content, not the declared type: anything else is 415 ``unsupported-file-type``).
UPLOAD_ENCODING = {
    "file": {
        "contentType": (
            "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    }
}


def _answered(error: Refusal):
    if error.code in TYPES:
        return ImportProblem(error, *TYPES[error.code])
    return error


class MultiPartUpload(MultiPartParser):
    """Multipart bodies of this endpoint only (the API takes JSON elsewhere)."""


class ImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of contacts and companies from CSV or XLSX files."""

    lookup_url_kwarg = "import_id"
    lookup_value_regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "imports.view", "POST": "imports.create"}
    token_scope = {"GET": "read", "POST": "write"}
    parser_classes = [MultiPartUpload, JSONParser]
    pagination_class = KeysetPagination
    cursor_ordering = "-created_at"
    serializer_class = ImportOut

    def initialize_request(self, request, *args, **kwargs):
        # The upload goes to a private temporary file, within the import
        # limit, before anything reads the body (imports.uploads).
        uploads.install(request)
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Import.objects.none()
        return selectors.imports_for(self.request.membership)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ImportDetailOut
        return ImportOut

    @extend_schema(
        request={"multipart/form-data": OpenApiRequest(ImportIn, encoding=UPLOAD_ENCODING)},
        responses={202: ImportDetailOut},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file and start a dry run or the import

        The job reads the file in batches: poll the import for ``progress``
        and ``status`` (``checked`` after a dry run, ``done`` after the
        import). A third-party source needs ``provider`` and
        ``obtained_how``; each row without a consent reference (here or in
        mapped columns) is refused with its reason."""
        incoming = ImportIn(data=request.data)
        if uploads.too_large(request):
            raise _answered(services.too_large_refusal(settings.MAX_IMPORT_BODY_BYTES))
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        item = None
        try:
            with transaction.atomic():
                item = services.import_upload(
                    membership=request.membership,
                    resource=values["resource"],
                    upload=values["file"],
                    channel="api",
                    limit=settings.MAX_IMPORT_BODY_BYTES,
                )
                services.import_start(
                    membership=request.membership,
                    import_id=item.pk,
                    mapping=values["mapping"],
                    source=values["source"],
                    on_duplicate=values["on_duplicate"],
                    receipt={name: values[name] for name in services.RECEIPT_FIELDS},
                    dry_run=values["dry_run"],
                )
        except Refusal as error:
            if item is not None:
                storage.destroy(item.pk, item.key_id)
            raise _answered(error) from None
        except BaseException:
            if item is not None:
                storage.destroy(item.pk, item.key_id)
            raise
        item = self.get_queryset().get(pk=item.pk)
        return Response(ImportDetailOut(item).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ImportRunIn, responses={202: ImportDetailOut})
    @action(
        detail=True,
        methods=["post"],
        permission_action="imports.create",
        parser_classes=[JSONParser],
    )
    @answers(409)  # it has run already
    def run(self, request, import_id=None):
        """Run an import again after its dry run

        With the mapping and options of the dry run; ``dry_run`` false (the
        default here) applies it."""
        item = self.get_object()  # another workspace's id: 404 before the body is read
        incoming = ImportRunIn(data=request.data if isinstance(request.data, dict) else {})
        incoming.is_valid(raise_exception=True)
        try:
            services.import_start(
                membership=request.membership,
                import_id=item.pk,
                mapping=item.mapping,
                source=item.source,
                on_duplicate=item.on_duplicate,
                receipt=storage.stored_json(item.receipt, {}),
                dry_run=incoming.validated_data["dry_run"],
            )
        except Refusal as error:
            raise _answered(error) from None
        item = self.get_queryset().get(pk=item.pk)
        return Response(ImportDetailOut(item).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, FileRenderer])
    def report(self, request, import_id=None):
        """The report of every row (CSV)

        Row number, outcome, reason, column and record id; no value of the file."""
        item = self.get_object()
        response = StreamingHttpResponse(
            (line.encode("utf-8") for line in report_lines(item)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="import-report-{item.pk}.csv"'
        response["Cache-Control"] = "no-store"
        return response
