from django.urls import path

from terabox_crm.core import views

app_name = "core"

urlpatterns = [
    path("workspaces/new/", views.workspace_create, name="create"),
    path("workspaces/switch/", views.workspace_switch, name="switch"),
    path("workspace/settings/", views.workspace_settings, name="settings"),
    path("workspace/leave/", views.workspace_leave, name="leave"),
    path("workspace/members/", views.member_list, name="members"),
    path("workspace/members/invite/", views.member_invite, name="invite"),
    path(
        "workspace/members/<uuid:membership_id>/",
        views.member_detail,
        name="member",
    ),
    path(
        "workspace/members/<uuid:membership_id>/role/",
        views.member_change_role,
        name="member_role",
    ),
    path(
        "workspace/members/<uuid:membership_id>/capabilities/",
        views.member_set_capabilities,
        name="member_capabilities",
    ),
    path(
        "workspace/members/<uuid:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "workspace/members/<uuid:membership_id>/team/",
        views.member_set_team,
        name="member_team",
    ),
    path("workspace/teams/", views.team_list, name="teams"),
    path("workspace/teams/new/", views.team_create, name="team_create"),
    path("workspace/teams/<uuid:team_id>/rename/", views.team_rename, name="team_rename"),
    path("workspace/teams/<uuid:team_id>/delete/", views.team_delete, name="team_delete"),
    path(
        "workspace/record-visibility/",
        views.record_visibility,
        name="record_visibility",
    ),
    path(
        "workspace/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "workspace/invitations/<uuid:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    # Public: the token is the credential (see testing/cross_workspace.py's allow-list).
    path("invite/<str:token>/", views.invite_accept, name="invite_accept"),
]
