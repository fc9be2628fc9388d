from django.urls import path

from terabox_crm.incidents import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.incident_create, name="create"),
    path("incidents/<uuid:incident_id>/", views.incident_detail, name="detail"),
    path("incidents/<uuid:incident_id>/edit/", views.incident_edit, name="edit"),
    path("incidents/<uuid:incident_id>/timeline/", views.timeline_add, name="timeline_add"),
    path("incidents/<uuid:incident_id>/affected/", views.affected_compute, name="affected_compute"),
    path(
        "incidents/<uuid:incident_id>/affected/review/",
        views.affected_review,
        name="affected_review",
    ),
    path("incidents/<uuid:incident_id>/notify/", views.campaign_send, name="notify"),
    path("incidents/<uuid:incident_id>/publish/", views.notice_publish, name="publish"),
    path("incidents/<uuid:incident_id>/report/", views.report_draft, name="report"),
    # Public (no sign-in): one announcement; the list is a panel of /notices/.
    path("notices/incidents/<uuid:incident_id>/", views.notice_detail, name="notice"),
]
