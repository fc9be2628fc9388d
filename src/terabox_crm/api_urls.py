"""The REST API: ``/api/schema/`` and ``/api/docs/``, and version 1 under
``/api/v1/``. Each app's viewsets live in ``<app>/api/views.py``, built on the
API base (``terabox_crm.api``: authentication, permissions, pagination); this
module, at the top with the project's other URLs, only routes them, so the API
base never imports the apps (docs/architecture.md)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from terabox_crm.activities.api import views as activities_api
from terabox_crm.api.docs import DocsView, SchemaView
from terabox_crm.auditlog.api import views as audit_api
from terabox_crm.contacts.api import views as contacts_api
from terabox_crm.deals.api import views as deals_api
from terabox_crm.dsr.api import views as dsr_api
from terabox_crm.erasure.api import views as erasure_api
from terabox_crm.exports.api import views as exports_api
from terabox_crm.imports.api import views as imports_api
from terabox_crm.incidents.api import views as incidents_api
from terabox_crm.privacy.api import consents as consents_api
from terabox_crm.privacy.api import records as records_api
from terabox_crm.privacy.api import views as privacy_api
from terabox_crm.retention.api import views as retention_api
from terabox_crm.support.api import views as support_api
from terabox_crm.webhooks.api import views as webhooks_api

app_name = "api"

v1 = SimpleRouter()
v1.register("audit-events", audit_api.AuditEventViewSet, basename="audit-event")
v1.register("security-events", audit_api.SecurityEventViewSet, basename="security-event")
v1.register("webhook-endpoints", webhooks_api.EndpointViewSet, basename="webhook-endpoint")
v1.register("contacts", contacts_api.ContactViewSet, basename="contact")
v1.register("companies", contacts_api.CompanyViewSet, basename="company")
v1.register("tags", contacts_api.TagViewSet, basename="tag")
v1.register("pipelines", deals_api.PipelineViewSet, basename="pipeline")
v1.register("deals", deals_api.DealViewSet, basename="deal")
v1.register("activities", activities_api.ActivityViewSet, basename="activity")
v1.register("tasks", activities_api.TaskViewSet, basename="task")
v1.register("tickets", support_api.TicketViewSet, basename="ticket")
v1.register("privacy-requests", dsr_api.PrivacyRequestViewSet, basename="privacy-request")
v1.register("consents", consents_api.ConsentViewSet, basename="consent")
v1.register(
    "third-party-provisions", records_api.ProvisionViewSet, basename="third-party-provision"
)
v1.register("third-party-receipts", records_api.ReceiptViewSet, basename="third-party-receipt")
v1.register("exports", exports_api.ExportViewSet, basename="export")
v1.register("imports", imports_api.ImportViewSet, basename="import")
v1.register("incidents", incidents_api.IncidentViewSet, basename="incident")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/data-inventory", privacy_api.DataInventoryView.as_view(), name="data-inventory"),
    path(
        "v1/contacts/<uuid:contact_id>/erase/",
        erasure_api.SubjectEraseView.as_view(),
        name="contact-erase",
    ),
    path("v1/retention-rules", retention_api.RetentionRulesView.as_view(), name="retention-rules"),
    path("v1/legal-holds", retention_api.LegalHoldsView.as_view(), name="legal-holds"),
    path(
        "v1/legal-holds/of-contact/<uuid:contact_id>",
        retention_api.ContactHoldsView.as_view(),
        name="contact-legal-holds",
    ),
    path(
        "v1/legal-holds/<uuid:hold_id>/lift",
        retention_api.LegalHoldLiftView.as_view(),
        name="legal-hold-lift",
    ),
    path("v1/", include((v1.urls, "v1"))),
]
