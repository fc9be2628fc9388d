from django.urls import path

from terabox_crm.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.trail, name="trail"),
]
