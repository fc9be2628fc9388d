from django.urls import path

from terabox_crm.deals import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("board/", views.board, name="board"),
    path("board/<uuid:pipeline_id>/", views.board, name="board_pipeline"),
    path("new/", views.deal_create, name="create"),
    path("bulk/", views.deal_bulk, name="bulk"),
    path("pipelines/", views.pipeline_list, name="pipelines"),
    path("pipelines/<uuid:pipeline_id>/rename/", views.pipeline_rename, name="pipeline_rename"),
    path("pipelines/<uuid:pipeline_id>/delete/", views.pipeline_delete, name="pipeline_delete"),
    path("pipelines/<uuid:pipeline_id>/stages/", views.stage_add, name="stage_add"),
    path("pipelines/stages/<uuid:stage_id>/", views.stage_edit, name="stage_edit"),
    path("pipelines/stages/<uuid:stage_id>/move/", views.stage_move, name="stage_move"),
    path("pipelines/stages/<uuid:stage_id>/delete/", views.stage_delete, name="stage_delete"),
    path("<uuid:deal_id>/", views.deal_detail, name="detail"),
    path("<uuid:deal_id>/edit/", views.deal_edit, name="edit"),
    path("<uuid:deal_id>/move/", views.deal_move, name="move"),
    path("<uuid:deal_id>/stage/", views.deal_stage, name="stage"),
    path("<uuid:deal_id>/delete/", views.deal_delete, name="delete"),
]
