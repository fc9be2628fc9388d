"""Routes of the contact screens (``/contacts/``) and company screens
(``/companies/``), included by the project's urls under two namespaces."""

from django.urls import path

from terabox_crm.contacts import views

contact_patterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="create"),
    path("bulk/", views.contact_bulk, name="bulk"),
    path("search/", views.global_search, name="search"),
    path("views/", views.saved_view_create, name="saved_view_create"),
    path("views/<uuid:saved_view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("<uuid:contact_id>/", views.contact_detail, name="detail"),
    path("<uuid:contact_id>/edit/", views.contact_edit, name="edit"),
    path("<uuid:contact_id>/delete/", views.contact_delete, name="delete"),
    path("<uuid:contact_id>/duplicates/", views.contact_duplicates, name="duplicates"),
    path("<uuid:contact_id>/merge/", views.contact_merge, name="merge"),
]

company_patterns = [
    path("", views.company_list, name="list"),
    path("new/", views.company_create, name="create"),
    path("bulk/", views.company_bulk, name="bulk"),
    path("picker/", views.company_picker, name="picker"),
    path("picker/new/", views.company_quick_create, name="quick_create"),
    path("<uuid:company_id>/", views.company_detail, name="detail"),
    path("<uuid:company_id>/edit/", views.company_edit, name="edit"),
    path("<uuid:company_id>/delete/", views.company_delete, name="delete"),
]
