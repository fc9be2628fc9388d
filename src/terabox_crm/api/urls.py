"""The REST API: ``/api/schema/`` and ``/api/docs/``, and version 1 under
``/api/v1/``. Each app's viewsets live in ``<app>/api/views.py``; this module
only routes them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from terabox_crm.audit.api import views as audit_api

app_name = "api"

v1 = SimpleRouter()
v1.register("audit-events", audit_api.AuditEventViewSet, basename="audit-event")
v1.register("security-events", audit_api.SecurityEventViewSet, basename="security-event")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include((v1.urls, "v1"))),
]
