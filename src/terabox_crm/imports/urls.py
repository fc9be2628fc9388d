from django.urls import path

from terabox_crm.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<uuid:import_id>/", views.import_detail, name="detail"),
    path("<uuid:import_id>/progress/", views.import_progress, name="progress"),
    path("<uuid:import_id>/report/", views.import_report, name="report"),
]
