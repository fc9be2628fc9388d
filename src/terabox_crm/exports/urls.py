from django.urls import path

from terabox_crm.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_new, name="new"),
    path("settings/", views.export_settings, name="settings"),
    path("<uuid:guarded_export_id>/", views.export_detail, name="detail"),
    path("<uuid:guarded_export_id>/progress/", views.export_progress, name="progress"),
    path("<uuid:guarded_export_id>/approve/", views.export_approve, name="approve"),
    path("<uuid:guarded_export_id>/download/", views.export_download, name="download"),
]
