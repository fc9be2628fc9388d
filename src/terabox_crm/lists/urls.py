"""Routes of the list preferences (``/lists/``)."""

from django.urls import path

from terabox_crm.lists import views

app_name = "lists"

urlpatterns = [
    path("columns/", views.columns_save, name="columns"),
    path("views/", views.view_create, name="view_create"),
    path("views/<uuid:list_view_id>/delete/", views.view_delete, name="view_delete"),
]
