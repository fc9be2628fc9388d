"""The public request page (contract: ``/privacy/request/``), its links and a
workspace's own page (``/privacy/request/<slug or id>/``, P11)."""

from django.urls import path

from terabox_crm.dsr import views

app_name = "dsr_public"

urlpatterns = [
    path("", views.request_page, name="request"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("download/<str:token>/", views.download, name="download"),
    path("<str:workspace_ref>/", views.request_page, name="workspace_request"),
]
