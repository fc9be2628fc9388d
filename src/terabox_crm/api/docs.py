"""The OpenAPI schema and its Swagger UI page, as drf-spectacular serves them,
held to what they are: documents to read (GET and HEAD only — an OPTIONS
request for the UI page made drf-spectacular's HTML renderer fail)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

READ_ONLY = ["get", "head"]


class SchemaView(SpectacularAPIView):
    http_method_names = READ_ONLY


class DocsView(SpectacularSwaggerSplitView):
    http_method_names = READ_ONLY
