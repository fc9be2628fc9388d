from django.urls import path

from terabox_crm.policies import views

app_name = "policies"

urlpatterns = [
    path("privacy/", views.policy_page, {"kind": "privacy"}, name="privacy"),
    path(
        "privacy/versions/<int:number>/",
        views.version_page,
        {"kind": "privacy"},
        name="privacy_version",
    ),
    path("security/", views.policy_page, {"kind": "security"}, name="security"),
    path(
        "security/versions/<int:number>/",
        views.version_page,
        {"kind": "security"},
        name="security_version",
    ),
    path("notices/", views.notices_page, name="notices"),
    path("policies/accept/", views.accept_page, name="accept"),
    path("policies/processing/", views.processing_page, name="processing"),
    path("policies/processing.csv", views.processing_csv, name="processing_csv"),
]
