from django.urls import path

from terabox_crm.erasure import views

app_name = "erasure"

urlpatterns = [
    path("contacts/<uuid:contact_id>/erase/", views.subject_erase, name="confirm"),
]
