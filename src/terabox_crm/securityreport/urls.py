from django.urls import path

from terabox_crm.securityreport import views

app_name = "securityreport"

urlpatterns = [
    path("", views.report, name="report"),
]
