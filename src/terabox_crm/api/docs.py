"""The OpenAPI schema and its Swagger UI page (S1, S8).

In production they describe the whole API surface to whoever asks, which is
a map for an attacker as much as for an integrator: there they need a
signed-in session or a valid bearer token, unless the operator opens them
(``CRM_API_DOCS_PUBLIC``). In development they stay open. A refusal is what
each reader expects: 401 problem details from the schema (a client), the
sign-in page from the docs page (a person in a browser), which then comes
back to the docs.

Both are documents to read: GET and HEAD only (an OPTIONS request for the UI
page made drf-spectacular's HTML renderer fail).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer

READ_ONLY = ["get", "head"]


class DocsReader(BasePermission):
    def has_permission(self, request, view) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    http_method_names = READ_ONLY
    permission_classes = [DocsReader]

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            # Problem details are JSON, whatever schema format was asked for.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class DocsView(SpectacularSwaggerSplitView):
    http_method_names = READ_ONLY
    permission_classes = [DocsReader]
    # drf-spectacular's page has an inline <style>, which the CSP refuses on
    # every load: ours links the same rules from a static file (and the page
    # says its language). Swagger UI's own assets are the sidecar's, served by
    # WhiteNoise from this server ("SIDECAR" in settings.SPECTACULAR_SETTINGS).
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
