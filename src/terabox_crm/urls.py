from django.urls import include, path

from terabox_crm.contacts.urls import company_patterns, contact_patterns
from terabox_crm.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("accounts/", include("terabox_crm.accounts.urls")),
    path("api/", include("terabox_crm.api_urls")),
    path("api-tokens/", include("terabox_crm.api.token_urls")),
    path("webhooks/", include("terabox_crm.webhooks.urls")),
    path("audit/dashboard/", include("terabox_crm.securitydash.urls")),
    path("audit/", include("terabox_crm.auditlog.urls")),
    path("workspace/security-report/", include("terabox_crm.securityreport.urls")),
    path("deals/", include("terabox_crm.deals.urls")),
    path("", include("terabox_crm.activities.urls")),
    path("tickets/", include("terabox_crm.support.urls")),
    path("notifications/", include("terabox_crm.notifications.urls")),
    path("contacts/", include((contact_patterns, "contacts"))),
    path("companies/", include((company_patterns, "companies"))),
    path("lists/", include("terabox_crm.lists.urls")),
    path("privacy/request/", include("terabox_crm.dsr.public_urls")),
    path("privacy-requests/", include("terabox_crm.dsr.urls")),
    # /incidents/ and the public /notices/incidents/<id>/ (S13).
    path("", include("terabox_crm.incidents.urls")),
    # /privacy/, /security/, /notices/: the public policy pages (P10).
    path("", include("terabox_crm.policies.urls")),
    path("privacy/", include("terabox_crm.privacy.urls")),
    path("", include("terabox_crm.erasure.urls")),
    path("retention/", include("terabox_crm.retention.urls")),
    path("exports/", include("terabox_crm.exports.urls")),
    path("imports/", include("terabox_crm.imports.urls")),
    path("", include("terabox_crm.core.urls")),
    path("", include("terabox_crm.web.urls")),
]

handler400 = "terabox_crm.web.errors.bad_request"
handler403 = "terabox_crm.web.errors.permission_denied"
handler404 = "terabox_crm.web.errors.page_not_found"
handler500 = "terabox_crm.web.errors.server_error"
