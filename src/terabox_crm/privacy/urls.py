from django.urls import path

from terabox_crm.privacy import views

app_name = "privacy"

urlpatterns = [
    path("inventory/", views.inventory_page, name="inventory"),
]
