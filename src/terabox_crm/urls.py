from django.urls import include, path

from terabox_crm.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("accounts/", include("terabox_crm.accounts.urls")),
    path("api/", include("terabox_crm.api.urls")),
    path("audit/", include("terabox_crm.audit.urls")),
    path("notifications/", include("terabox_crm.notifications.urls")),
    path("", include("terabox_crm.core.urls")),
    path("", include("terabox_crm.web.urls")),
]

handler400 = "terabox_crm.web.errors.bad_request"
handler403 = "terabox_crm.web.errors.permission_denied"
handler404 = "terabox_crm.web.errors.page_not_found"
handler500 = "terabox_crm.web.errors.server_error"
