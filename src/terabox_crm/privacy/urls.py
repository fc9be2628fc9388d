from django.urls import path

from terabox_crm.privacy import views

app_name = "privacy"

urlpatterns = [
    path("inventory/", views.inventory_page, name="inventory"),
    path("purposes/", views.purposes_page, name="purposes"),
    path("records/", views.records_page, name="records"),
    path("contacts/<uuid:contact_id>/consent/", views.consent_record, name="consent_record"),
    path("contacts/<uuid:contact_id>/restrict/", views.restriction_set, name="restrict"),
    path("contacts/<uuid:contact_id>/lift/", views.restriction_lift, name="lift"),
    path("evidence/<uuid:evidence_id>/", views.evidence_download, name="evidence"),
]
