from django.urls import path

from terabox_crm.securitydash import views

app_name = "securitydash"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
