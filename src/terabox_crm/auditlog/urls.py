from django.urls import path, re_path

from terabox_crm.auditlog import views

app_name = "audit"

urlpatterns = [
    path("", views.trail, name="trail"),
    path("security/", views.security, name="security"),
    # An event is addressed by its hash: unique, and not enumerable like an id.
    re_path(r"^events/(?P<event_hash>[0-9a-f]{64})/$", views.event_detail, name="event"),
]
