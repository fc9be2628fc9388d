from django.urls import path

from terabox_crm.deals import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("board/", views.board, name="board"),
    path("board/<uuid:pipeline_id>/", views.board, name="board_pipeline"),
    path("new/", views.deal_create, name="create"),
    path("pipelines/", views.pipeline_list, name="pipelines"),
    path("<uuid:deal_id>/", views.deal_detail, name="detail"),
    path("<uuid:deal_id>/edit/", views.deal_edit, name="edit"),
    path("<uuid:deal_id>/move/", views.deal_move, name="move"),
    path("<uuid:deal_id>/delete/", views.deal_delete, name="delete"),
]
