"""The web page for personal access tokens (``/api-tokens/``)."""

from django.urls import path

from terabox_crm.api import views

app_name = "api_tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("new/", views.token_create, name="create"),
    path("<uuid:token_id>/revoke/", views.token_revoke, name="revoke"),
]
