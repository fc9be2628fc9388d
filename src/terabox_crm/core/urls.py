from django.urls import path

from terabox_crm.core import views

app_name = "core"

urlpatterns = [
    path("workspaces/new/", views.workspace_create, name="create"),
    path("workspaces/switch/", views.workspace_switch, name="switch"),
    path("workspace/members/", views.member_list, name="members"),
]
